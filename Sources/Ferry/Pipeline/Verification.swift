import Foundation

/// The result of one verification check.
public struct VerificationCheck: Sendable, Encodable, WordedForReader {
    /// How a check ended.
    public enum Status: String, Sendable, Encodable {
        /// The check holds.
        case passed
        /// The check does not hold, or could not run.
        case failed
        /// The check does not apply (another release, or no upgrade to compare with).
        case skipped
        /// The check found something the operator should know that is not a
        /// failure: schema drift (``SchemaDrift``).
        case warning
    }

    /// The name of the engine's foreign-key check.
    public static let foreignKeysName = "foreign keys"

    /// What was checked, such as `integrity` or `0.5.0/002_add_device_room.verify.sql`.
    public let name: String
    /// How it ended.
    public let status: Status
    /// What was found.
    public var detail: String { markedDetail.worded(for: wording) }
    /// Who reads the check: its detail may name a setting or a command.
    public var wording: FerryError.Wording = .library
    /// ``detail`` as written, with its settings and commands marked.
    package let markedDetail: MarkedText

    private enum CodingKeys: String, CodingKey {
        case name, status
        case markedDetail = "detail"
    }

    /// Creates a result; `detail` may name settings and commands, worded
    /// when it is read.
    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.markedDetail = MarkedText(detail)
    }
}

/// What verification found: every check, in the order they ran.
public struct VerificationReport: Sendable, Encodable {
    /// The checks.
    public internal(set) var checks: [VerificationCheck]
    /// How long verification took, in seconds.
    public let seconds: Double
    /// Why verification could not be finished, when the database stopped
    /// answering (a lost connection, a session the server ended): then no
    /// check said anything about the upgrade, and this is the error.
    public var interruption: FerryError? = nil
    /// The schema drift check's result (`ferry verify` only): differences
    /// reported as warnings, never as failures; nil when it did not run.
    public var drift: SchemaDrift? = nil

    /// The checks that failed.
    public var failures: [VerificationCheck] { checks.filter { $0.status == .failed } }

    /// The error a failed verification calls for, or nil when every check
    /// passed. Its code is `constraintViolation` when only the foreign-key
    /// check failed, `verificationFailed` otherwise.
    public var failure: FerryError? {
        if let interruption { return interruption }
        guard !failures.isEmpty else { return nil }
        let lines = failures.map { "  \($0.name): \($0.markedDetail.text)" }
        let onlyForeignKeys = failures.allSatisfy { $0.name == VerificationCheck.foreignKeysName }
        return FerryError(
            onlyForeignKeys ? .constraintViolation : .verificationFailed,
            "Verification failed (\(failures.count) of \(checks.count) checks):\n"
                + lines.joined(separator: "\n"),
            advice: "Fix the migration, hook or data the failed check names, then run again; "
                + "\(run: .verify) runs the same checks on the database as it is.")
    }
}

/// Verification: the checks after the migrations and hooks, before the
/// commit. A failure rolls the whole upgrade back.
///
/// In order: the engine's full integrity check, its foreign-key check, the
/// verify script of every migration applied to the database (each must hold
/// at every later release too), then the invariants declared in
/// `ferry.toml`. A verify script fails when it raises an error or returns a
/// row whose first value is false, 0 or NULL; the other values may describe
/// the row, and the failure shows them.
struct Verification: Sendable {
    /// The migrations whose verify scripts run, in order.
    let migrations: [Migration]
    /// The declared invariants.
    let invariants: [Invariant]
    /// The release the database is at when verified.
    let release: Release?
    /// Row counts before the upgrade, for `preserve`; nil outside an upgrade.
    var countsBefore: [String: Int]?

    /// The checks for a database: the verify scripts of its applied
    /// migrations (as the catalog knows them) and the invariants.
    init(
        catalog: MigrationCatalog, appliedIDs: Set<String>, invariants: [Invariant],
        release: Release?
    ) {
        self.migrations = catalog.migrations.filter {
            appliedIDs.contains($0.id) && $0.verify != nil
        }
        self.invariants = invariants
        self.release = release
    }

    /// The tables whose rows `preserve` invariants count before the upgrade,
    /// for the invariants that apply to ``release``.
    var preservedTables: [String] {
        invariants.compactMap { invariant in
            guard case .preserve(let from, _) = invariant.check else { return nil }
            if let release, !invariant.releases.contains(release) { return nil }
            return from
        }
    }

    /// Runs every check; never throws for a failed check, only reports it.
    func run(on db: any DatabaseInspection) async -> VerificationReport {
        let clock = ContinuousClock()
        let start = clock.now
        var checks: [VerificationCheck] = []
        var interruption: FerryError?
        func record(_ name: String, _ work: () async throws -> String?) async {
            // Once the database stopped answering, no later check can say anything.
            guard interruption == nil else {
                checks.append(
                    .init(
                        name: name, status: .skipped,
                        detail: "not run: the database stopped answering"))
                return
            }
            do {
                if let problem = try await work() {
                    checks.append(.init(name: name, status: .failed, detail: problem))
                } else {
                    checks.append(.init(name: name, status: .passed, detail: "ok"))
                }
            } catch let error as FerryError {
                if error.code == .databaseUnavailable { interruption = error }
                checks.append(.init(name: name, status: .failed, detail: Self.describe(error)))
            } catch {
                checks.append(.init(name: name, status: .failed, detail: "\(error)"))
            }
        }
        await record("integrity") {
            let problems = try await db.integrityProblems(thorough: true)
            return problems.isEmpty ? nil : Self.list(problems)
        }
        await record(VerificationCheck.foreignKeysName) {
            let violations = try await db.foreignKeyViolations()
            return violations.isEmpty ? nil : Self.list(violations)
        }
        for migration in migrations {
            guard let script = migration.verify else { continue }
            await record(script.file ?? "\(migration.id) verify script") {
                Self.falseRow(in: try await db.fetchAll(script.text))
            }
        }
        for invariant in invariants {
            if let release, !invariant.releases.contains(release) {
                checks.append(
                    .init(
                        name: invariant.name, status: .skipped,
                        detail: "applies to releases \(invariant.releases), not \(release)"))
                continue
            }
            switch invariant.check {
            case .query(let sql, let expected):
                await record(invariant.name) {
                    let rows = try await db.fetchAll(sql)
                    guard let expected else { return Self.falseRow(in: rows) }
                    let value = rows.first?.values.first ?? .null
                    return Self.matches(value, expected)
                        ? nil : "expected \(expected), found \(value)"
                }
            case .preserve(let from, let to):
                guard let before = countsBefore?[from] else {
                    let why =
                        countsBefore == nil
                        ? "compares row counts before and after an upgrade"
                        : "\(from) did not exist before the upgrade"
                    checks.append(.init(name: invariant.name, status: .skipped, detail: why))
                    continue
                }
                await record(invariant.name) {
                    guard let after = try await db.rowCounts()[to] else {
                        return "\(to) does not exist after the upgrade (\(from) had \(before) rows)"
                    }
                    return after == before
                        ? nil
                        : "\(from) had \(before) rows before the upgrade, \(to) has \(after) after"
                }
            }
        }
        return VerificationReport(
            checks: checks, seconds: (clock.now - start).inSeconds, interruption: interruption)
    }

    /// The first row whose first value is not true, described, or nil.
    static func falseRow(in rows: [SQLRow]) -> String? {
        guard let index = rows.firstIndex(where: { !($0.values.first?.isTrue ?? false) }) else {
            return nil
        }
        let row = rows[index]
        let values = zip(row.columnNames, row.values).map { "\($0) = \($1)" }.joined(
            separator: ", ")
        return "row \(index + 1) is false: \(values)"
    }

    /// Whether a value equals the expected text: as numbers when both are,
    /// as a truth value for `true`/`false`, else as text.
    static func matches(_ value: SQLValue, _ expected: String) -> Bool {
        switch expected.lowercased() {
        case "true": return value.isTrue
        case "false": return !value.isTrue
        default: break
        }
        if let number = Double(expected) {
            switch value {
            case .integer(let integer): return Double(integer) == number
            case .real(let real): return real == number
            case .text(let text): return Double(text) == number
            default: return false
            }
        }
        return value.description == expected
    }

    private static func list(_ lines: [String]) -> String {
        let shown = lines.prefix(10).joined(separator: "; ")
        return lines.count > 10 ? shown + "; … and \(lines.count - 10) more" : shown
    }

    private static func describe(_ error: FerryError) -> String {
        [
            "raised an error:", error.engineMessage ?? error.markedMessage,
            error.location.map { "(line \($0.line))" },
        ]
        .compactMap { $0 }.joined(separator: " ")
    }
}
