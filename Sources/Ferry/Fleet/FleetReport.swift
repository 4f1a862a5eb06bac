import Foundation

/// The report of a fleet run, one entry per database.
///
/// The document is written whole twice: before any database starts (every
/// database not started) and at the end. In between, each database's entry
/// is appended to the report's journal (``FleetReportJournal``) as it
/// finishes, so that a run over thousands of databases writes each entry
/// once rather than the whole report after each, and a run killed half-way
/// leaves the report and the journal of what finished: ``read(from:)``
/// reads both, and `--resume` runs only what is left.
///
/// ```json
/// {"command": "upgrade", "databases": [{"database": "tenants/acme.db", "name": "acme",
///   "result": "succeeded", "from": "0.1.0", "to": "0.3.0", "backup": "…", "seconds": 0.4,
///   "error": null}], "spec": "tenants/*.db", "updatedAt": "…"}
/// ```
public struct FleetReport: Sendable, Codable {
    /// One database's line in the report.
    public struct Entry: Sendable, Codable, Hashable {
        /// The database's path or URL.
        public var database: String
        /// Its short name in the fleet (its backups folder's name).
        public var name: String
        /// What became of it.
        public var result: FleetOutcome
        /// Its release before, when known.
        public var from: String?
        /// Its release after, when known.
        public var to: String?
        /// The backup taken, if any.
        public var backup: String?
        /// Migrations applied (upgrade) or pending (status), when counted.
        public var migrations: Int?
        /// How long its work took, in seconds.
        public var seconds: Double
        /// The error, worded as the program shows it, when it failed or was skipped.
        public var error: ErrorText?
    }

    /// An error as the report keeps it: its fields, worded for the reader.
    public struct ErrorText: Sendable, Codable, Hashable {
        /// The error's code.
        public var code: String
        /// What happened.
        public var message: String
        /// What was changed.
        public var changes: String?
        /// What to do next.
        public var advice: String?
        /// The whole error as the program prints it.
        public var text: String

        /// The error's fields, worded for a reader.
        public init(_ error: FerryError, wording: FerryError.Wording) {
            let worded = error.worded(for: wording)
            code = worded.code.rawValue
            message = worded.message
            changes = worded.changes
            advice = worded.advice
            text = worded.description
        }
    }

    /// The command run over the fleet (`upgrade`, `status`, …).
    public var command: String
    /// The spec the databases came from.
    public var spec: String
    /// When the report was last written.
    public var updatedAt: Date
    /// Every database of the run, in the fleet's order.
    public var databases: [Entry]
    /// Where each database's entry is in ``databases``, by location: kept
    /// by ``record(_:)``, and made again when ``databases`` was changed
    /// otherwise (see ``position(of:)``).
    private var positions: [String: Int] = [:]

    private enum CodingKeys: String, CodingKey { case command, spec, updatedAt, databases }

    /// Reads a report's document (without its journal).
    ///
    /// - Parameter decoder: The decoder.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode(String.self, forKey: .command)
        spec = try container.decode(String.self, forKey: .spec)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
        databases = try container.decode([Entry].self, forKey: .databases)
        positions = Self.positions(of: databases)
    }

    private static func positions(of entries: [Entry]) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, entry) in entries.enumerated() { positions[entry.database] = index }
        return positions
    }

    /// A report of a run that has not started any database yet.
    ///
    /// - Parameters:
    ///   - command: The command run over the fleet (`upgrade`, `status`, …).
    ///   - spec: The fleet as given (`--databases`).
    ///   - members: The fleet's databases, in order.
    ///   - previous: The report being resumed: its entries for databases
    ///     this run does not touch are kept as they were.
    public init(
        command: String, spec: String, members: [FleetMember], previous: FleetReport? = nil
    ) {
        self.command = command
        self.spec = spec
        self.updatedAt = Date()
        var entries = previous?.databases ?? []
        var known = Set(entries.map(\.database))
        for member in members where known.insert(member.location).inserted {
            entries.append(
                Entry(
                    database: member.location, name: member.name, result: .notStarted,
                    seconds: 0))
        }
        databases = entries
        positions = Self.positions(of: entries)
    }

    /// Records a database's result in its entry.
    ///
    /// - Parameters:
    ///   - result: The database's result.
    ///   - wording: How its error is worded.
    /// - Returns: The entry, as recorded (and as the journal keeps it).
    @discardableResult
    public mutating func record(_ result: FleetResult, wording: FerryError.Wording) -> Entry {
        let entry = Entry(
            database: result.member.location, name: result.member.name, result: result.outcome,
            from: result.summary?.from, to: result.summary?.to, backup: result.summary?.backup,
            migrations: result.summary?.migrations, seconds: result.seconds,
            error: result.error.map { ErrorText($0, wording: wording) })
        record(entry)
        return entry
    }

    /// Puts an entry in place of the one for the same database (or last).
    ///
    /// - Parameter entry: The database's entry.
    public mutating func record(_ entry: Entry) {
        if let index = position(of: entry.database) {
            databases[index] = entry
        } else {
            databases.append(entry)
            positions[entry.database] = databases.count - 1
        }
        updatedAt = Date()
    }

    /// The index of a database's entry, the positions made again when
    /// ``databases`` no longer matches them.
    private mutating func position(of location: String) -> Int? {
        if let index = positions[location], index < databases.count,
            databases[index].database == location
        {
            return index
        }
        if positions.count != databases.count || positions[location] != nil {
            positions = Self.positions(of: databases)
        }
        return positions[location]
    }

    /// The entry of the database at a location, if the report has one.
    ///
    /// - Parameter location: The database's path or URL.
    public func entry(for location: String) -> Entry? {
        if let index = positions[location], index < databases.count,
            databases[index].database == location
        {
            return databases[index]
        }
        return databases.first { $0.database == location }
    }

    /// How many databases have each result.
    public var counts: [FleetOutcome: Int] {
        Dictionary(grouping: databases, by: \.result).mapValues(\.count)
    }

    /// The locations a resumed run works on: those failed or not started.
    public var remaining: Set<String> {
        Set(databases.filter { $0.result == .failed || $0.result == .notStarted }.map(\.database))
    }

    /// Writes the report durably (a temporary file, synced, renamed).
    ///
    /// - Throws: ``FerryError`` (code `fileSystem`) when it cannot be written.
    public func write(to file: URL) throws {
        let encoder = JSONEncoder.withTimestamps()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch {
            throw FerryError(.fileSystem, "The fleet report cannot be encoded: \(error)")
        }
        try FileSafety.writeDurably(data, to: file)
    }

    /// Reads a report a run wrote, with the entries its journal holds when
    /// the run did not finish (see ``FleetReportJournal``).
    ///
    /// - Parameter file: The report's file.
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the file
    ///   cannot be read or is not a fleet report.
    public static func read(from file: URL) throws -> FleetReport {
        do {
            var report = try JSONDecoder.withTimestamps().decode(
                FleetReport.self, from: Data(contentsOf: file))
            for entry in FleetReportJournal.entries(of: file) { report.record(entry) }
            return report
        } catch {
            throw FerryError(
                .invalidConfiguration,
                "\(file.path) is not a fleet report that can be resumed: \(error.localizedDescription)",
                changes: "Nothing was changed.",
                advice:
                    "Give \(.resume, .placeholder) the file that \(.databases) … --report FILE wrote."
            )
        }
    }
}
