import FerryTestSupport
import Foundation
import Testing

@testable import Ferry

/// Files written straight to the disk hold exactly the bytes given, whatever
/// their length against the block size, and a full disk is reported as such.
@Suite struct DirectFileWriterTests {
    /// Lengths around the block and the buffer, appended in uneven pieces.
    @Test(arguments: [0, 1, 4095, 4096, 4097, 8192, 3 * 8192 + 5, 100_003])
    func aFileHoldsExactlyTheBytesAppended(length: Int) throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("part").path
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
        let writer = try DirectFileWriter(creating: path, bufferBytes: 8192)
        var offset = 0
        var piece = 1
        while offset < length {
            let end = min(length, offset + piece)
            try bytes[offset..<end].withUnsafeBytes { try writer.append($0) }
            offset = end
            piece = piece * 3 + 1
        }
        try writer.finish()
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]
        #expect((mode as? Int) == 0o600)
    }

    @Test func anExistingFileIsNotOverwritten() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("part").path
        try Data("kept".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try DirectFileWriter(creating: path)
        } throws: { error in
            (error as? DirectFileWriter.Failure).map { $0.action == "create" && $0.code == EEXIST }
                ?? false
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "kept")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small file system needs root"))
    func aFullDiskIsReportedAsFull() throws {
        let disk = try SmallDisk(megabytes: 1)
        defer { disk.unmount() }
        let writer = try DirectFileWriter(
            creating: disk.folder.appendingPathComponent("part").path)
        let megabyte = [UInt8](repeating: 7, count: 1 << 20)
        #expect {
            for _ in 0..<3 { try megabyte.withUnsafeBytes { try writer.append($0) } }
            try writer.finish()
        } throws: { error in
            (error as? DirectFileWriter.Failure)?.code == ENOSPC
        }
    }
}
