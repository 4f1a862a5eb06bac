import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The journal of a fleet report: `FILE.journal` beside the report `FILE`,
/// one line of JSON per database as it finishes (its ``FleetReport/Entry``),
/// appended, so that each database costs one short write however large the
/// fleet is.
///
/// A line is not synced: a killed run's lines are in the system's cache,
/// and what a power cut takes away only makes `--resume` run those databases
/// again (one that was upgraded finds itself up to date). A sync per database
/// kept the next database of the fleet waiting on the disk.
///
/// ``FleetReport/read(from:)`` applies the journal's lines to the report in
/// their order; a line cut short by a killed run is left out (its database
/// counts as not finished, and `--resume` runs it again). The run writes the
/// whole report at its end, then removes the journal.
///
/// ```swift
/// let journal = try FleetReportJournal(startingFor: reportFile)
/// try journal.append(report.record(result, wording: .tool))
/// ```
public final class FleetReportJournal {
    /// The journal's file.
    public let file: URL
    private let descriptor: Int32
    private let encoder: JSONEncoder

    /// The journal's file for a report file.
    ///
    /// - Parameter report: The report's file.
    public static func file(for report: URL) -> URL {
        report.deletingLastPathComponent().appendingPathComponent(
            report.lastPathComponent + ".journal")
    }

    /// Starts an empty journal for a report that has just been written whole
    /// (whose entries already hold what an older journal said).
    ///
    /// - Parameter report: The report's file.
    /// - Throws: ``FerryError`` (code `fileSystem`) when it cannot be created.
    public init(startingFor report: URL) throws {
        file = Self.file(for: report)
        descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FerryError(
                .fileSystem,
                "The fleet report's journal \(file.path) cannot be created (errno \(errno)).",
                changes: "Nothing was changed: no database was started.",
                advice: "Give --report a file in a folder where Ferry may write.")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = encoder
    }

    deinit { close(descriptor) }

    /// Appends a database's entry.
    ///
    /// - Parameter entry: The entry, as the report recorded it.
    /// - Throws: ``FerryError`` (code `fileSystem`) when it cannot be written.
    public func append(_ entry: FleetReport.Entry) throws {
        var line = (try? encoder.encode(entry)) ?? Data()
        line.append(0x0A)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw FerryError(
                .fileSystem,
                "The fleet report's journal \(file.path) cannot be written (errno \(errno)).",
                changes:
                    "The database \(entry.name) finished (\(entry.result.rawValue)); the journal does not "
                    + "say so.",
                advice: "Free space where the report is, then resume: it runs that database again.")
        }
    }

    /// Removes the journal, once the whole report holds its entries.
    public func remove() {
        try? FileManager.default.removeItem(at: file)
    }

    /// The entries a report's journal holds, in order; none when there is no
    /// journal. A line that does not decode (cut short) is left out.
    ///
    /// - Parameter report: The report's file.
    static func entries(of report: URL) -> [FleetReport.Entry] {
        guard let data = try? Data(contentsOf: file(for: report)) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: 0x0A).compactMap {
            try? decoder.decode(FleetReport.Entry.self, from: $0)
        }
    }
}
