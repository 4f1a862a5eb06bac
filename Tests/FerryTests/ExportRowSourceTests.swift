import Foundation
import Testing

@testable import Ferry

/// The rows of an export read back on a thread of their own and handed
/// over in batches: every row arrives in order, and a line that is not a
/// row stops the read after the rows before it, with its part named.
@Suite struct ExportRowSourceTests {
    /// Writes a part of `lines` and returns a source reading it.
    func source(_ lines: [String]) throws -> ExportRowSource {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("rows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bytes = Data(lines.map { $0 + "\n" }.joined().utf8)
        try bytes.write(to: folder.appendingPathComponent("0001.jsonl"))
        let file = ExportManifest.File(
            path: "0001.jsonl", bytes: Int64(bytes.count), sha256: Checksum.sha256(bytes),
            rows: lines.count)
        return try ExportRowSource(
            folder: folder, files: [file], types: [.integer, .text], compressed: false)
    }

    @Test func everyRowArrivesInOrderAcrossBatches() throws {
        let count = 5000
        let rows = try source((1...count).map { "[\($0),\"row \($0)\"]" })
        var read: [Int64] = []
        while let row = try rows.next() {
            guard case .integer(let key) = row[0], case .text(let text) = row[1] else {
                Issue.record("\(row)")
                return
            }
            #expect(text == "row \(key)")
            read.append(key)
        }
        #expect(read == (1...Int64(count)).map { $0 })
        #expect(rows.rowsRead == count)
        #expect(try rows.next() == nil)
    }

    @Test func aLineThatIsNotARowStopsTheReadAfterTheRowsBeforeIt() throws {
        var lines = (1...3000).map { "[\($0),\"x\"]" }
        lines[2499] = "[2500,"
        let rows = try source(lines)
        var read = 0
        let error = #expect(throws: FerryError.self) {
            while try rows.next() != nil { read += 1 }
        }
        #expect(read == 2499)
        #expect(error?.code == .exportCorrupt)
        #expect(error?.message.contains("0001.jsonl") == true, "\(String(describing: error))")
    }

    @Test func aSourceLeftBeforeItsEndStopsItsThread() throws {
        weak var left: ExportRowSource?
        do {
            let rows = try source((1...20000).map { "[\($0),\"x\"]" })
            _ = try rows.next()
            left = rows
        }
        #expect(left == nil)
    }
}
