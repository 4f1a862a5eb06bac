import Foundation

/// One preflight check's result: ok, a warning or a blocker, with the reason.
public struct PreflightCheck: Sendable, Encodable, WordedForReader {
    /// How a check ended.
    public enum Status: String, Sendable, Encodable, Comparable {
        /// Nothing stands in the way.
        case ok
        /// The upgrade runs only with `--force`.
        case warning
        /// The upgrade cannot run.
        case blocker
        /// Something the operator should know that never stops an upgrade,
        /// even without `--force`: schema drift (``SchemaDrift``).
        case notice

        private var rank: Int { self == .ok ? 0 : self == .notice ? 1 : self == .warning ? 2 : 3 }
        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
    }

    /// What was checked, such as `free space` or `component zigbee-bridge 2.4.1`.
    public let name: String
    /// How it ended.
    public let status: Status
    /// Why.
    public var detail: String { markedDetail.worded(for: wording) }
    /// Who reads the check: its detail may name a setting or a command.
    public var wording: FerryError.Wording = .library
    /// ``detail`` as written, with its settings and commands marked.
    package let markedDetail: MarkedText

    private enum CodingKeys: String, CodingKey {
        case name, status
        case markedDetail = "detail"
    }

    /// Creates a result; `detail` may name settings and commands
    /// (`"pass \(.create) to create it"`), worded when it is read.
    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.markedDetail = MarkedText(detail)
    }
}

/// What preflight found: every check, in the order they ran.
public struct PreflightReport: Sendable, Encodable {
    /// The checks.
    public let checks: [PreflightCheck]

    /// The checks that block the upgrade.
    public var blockers: [PreflightCheck] { checks.filter { $0.status == .blocker } }
    /// The checks that need `--force`.
    public var warnings: [PreflightCheck] { checks.filter { $0.status == .warning } }
    /// The schema drift check's result: differences reported as warnings
    /// that never stop an upgrade; nil when the database was not inspected.
    public var drift: SchemaDrift? = nil

    /// The refusal this report calls for, or nil when the upgrade may run.
    ///
    /// - Parameter force: Whether warnings are overridden (`--force`);
    ///   blockers never are.
    public func refusal(force: Bool) -> FerryError? {
        let stopping = checks.filter { $0.status == .blocker || ($0.status == .warning && !force) }
        guard !stopping.isEmpty else { return nil }
        let lines = stopping.map { "  \($0.status.rawValue): \($0.name): \($0.markedDetail.text)" }
        let advice =
            blockers.isEmpty
            ? "Review the warnings; to upgrade anyway, run again with \(.force)."
            : "Resolve the blockers and run again (\(.force) overrides warnings only)."
        return FerryError(
            .preflightRefused, "Preflight refused the upgrade:\n" + lines.joined(separator: "\n"),
            changes: "Nothing was changed.", advice: advice)
    }
}

/// Preflight: the checks before anything changes, the first stage of every
/// upgrade and all of `ferry check`.
///
/// In order: the upgrade path (``UpgradePolicy``), whether the database is
/// readable and its quick integrity check is clean, free space for the
/// backup and the upgrade, whether the database and backup folders are
/// writable, the environment ``Requirement``s and the ``Component``s; last,
/// schema drift, which is a notice and never stops an upgrade.
struct Preflight: Sendable {
    /// How preflight reaches the database.
    enum Access {
        /// Through this inspection.
        case inspection(any DatabaseInspection)
        /// It does not exist yet: a fresh install.
        case missing
        /// It could not be read.
        case unreadable(FerryError)
    }

    let configuration: Ferry.Configuration
    let plan: Plan
    /// Whether changed or missing migrations are accepted (`--allow-changed`).
    var allowChanged = false
    /// Whether the upgrade skips its backup (`--no-backup`).
    var skipsBackup = false
    /// The program's migrations and hooks, for the schema drift check; nil
    /// leaves the check out.
    var catalog: MigrationCatalog? = nil

    func run(_ access: Access) async -> PreflightReport {
        var checks: [PreflightCheck] = []
        if case .unreadable = access {
            checks.append(
                PreflightCheck(
                    name: "upgrade path", status: .blocker,
                    detail: "cannot be judged: the database cannot be read"))
        } else {
            checks.append(
                UpgradePolicy(
                    minimumUpgradableFrom: configuration.minimumUpgradableFrom,
                    programRelease: plan.programRelease
                ).check(plan))
            if let refusal = plan.refusal(allowingChanged: allowChanged) {
                checks.append(
                    PreflightCheck(name: "history", status: .blocker, detail: refusal.markedMessage)
                )
            } else if plan.database.exists {
                checks.append(
                    PreflightCheck(
                        name: "history", status: .ok,
                        detail:
                            "\(plan.database.applied.count) applied migrations match the program's")
                )
            }
        }
        var engineVersion: String?
        var engineUnknown = "the database does not exist yet"
        switch access {
        case .missing where !configuration.createsDatabase:
            checks.append(
                PreflightCheck(
                    name: "database", status: .blocker,
                    detail:
                        "\(configuration.engine.displayName) does not exist, and the upgrade may not create it "
                        + "(check the path; pass \(.create), or set [database] create = true, to create it)"
                ))
        case .missing:
            checks.append(
                PreflightCheck(
                    name: "database", status: .ok, detail: "does not exist yet: a fresh install"))
            // A server answers for its version before the database exists.
            engineVersion = await configuration.engine.engineVersionWithoutDatabase()
        case .unreadable(let error):
            checks.append(
                PreflightCheck(
                    name: "database", status: .blocker,
                    detail: "cannot be read: "
                        + [error.markedMessage, error.engineMessage].compactMap { $0 }.joined(
                            separator: " ")))
            engineUnknown = "the database cannot be read"
        case .inspection(let db):
            do {
                let problems = try await db.integrityProblems(thorough: false)
                checks.append(
                    problems.isEmpty
                        ? PreflightCheck(
                            name: "database", status: .ok,
                            detail: "readable; quick integrity check ok")
                        : PreflightCheck(
                            name: "database", status: .blocker,
                            detail: "quick integrity check failed: "
                                + problems.prefix(5).joined(separator: "; ")))
                engineVersion = try await db.engineVersion()
            } catch let error as FerryError {
                checks.append(
                    PreflightCheck(
                        name: "database", status: .blocker,
                        detail: "cannot be checked: "
                            + [error.markedMessage, error.engineMessage].compactMap { $0 }.joined(
                                separator: " ")))
                engineUnknown = "the database cannot be read"
            } catch {
                checks.append(
                    PreflightCheck(
                        name: "database", status: .blocker, detail: "cannot be checked: \(error)"))
            }
        }
        let takesBackup = plan.database.exists && !plan.pending.isEmpty && !skipsBackup
        if takesBackup && !configuration.engine.canMakeBackups {
            checks.append(
                PreflightCheck(
                    name: "backup", status: .blocker,
                    detail:
                        "the \(configuration.engine.engineName) engine cannot take the pre-upgrade backup: "
                        + "back the database up with its own tools, then upgrade with \(.noBackup)")
            )
        } else if takesBackup && configuration.backupsDirectory == nil
            && configuration.engine.defaultBackupsFolder == nil
        {
            checks.append(
                PreflightCheck(
                    name: "backup", status: .blocker,
                    detail:
                        "no backup folder for the pre-upgrade backup of \(configuration.engine.displayName): "
                        + "pass \(.backups, .placeholder), set FERRY_BACKUPS or [backups] directory "
                        + "(or, for a database with nothing to lose yet, upgrade with \(.noBackup))"
                )
            )
        }
        // A retry that reuses the failed attempt's backup adds nothing to the catalog: no room to find for it.
        let reusesBackup =
            takesBackup
            ? await Ferry(configuration).reusableFailedAttemptBackup(upgradeTo: plan.targetRelease)
                != nil : false
        checks += await StorageCheck(
            configuration: configuration, takesBackup: takesBackup && !reusesBackup
        ).checks()
        checks += await configuration.engine.serverChecks(
            for: ServerNeeds(
                databaseExists: plan.database.exists, takesBackup: takesBackup,
                backupCheck: configuration.backupCheck, keepFreeBytes: configuration.keepFreeBytes))
        // Read only when a requirement names the system: a fleet checks it per database.
        let system =
            configuration.requirements.contains { $0.subject == .operatingSystem }
            ? OperatingSystemRelease(contentsOf: configuration.operatingSystemReleaseFile) : nil
        for requirement in configuration.requirements {
            switch requirement.subject {
            case .operatingSystem:
                checks.append(
                    requirement.check(
                        name: system?.id, version: system?.versionID,
                        unknownReason:
                            "\(configuration.operatingSystemReleaseFile.path) cannot be read or has no ID"
                    ))
            case .engine:
                checks.append(
                    requirement.check(
                        name: engineVersion == nil ? nil : configuration.engine.engineName,
                        version: engineVersion,
                        unknownReason:
                            "the \(configuration.engine.engineName) version is unknown: \(engineUnknown)"
                    ))
            }
        }
        for component in configuration.components {
            checks.append(component.check(for: plan.targetRelease))
        }
        var drift: SchemaDrift?
        if case .inspection(let db) = access, let catalog, plan.database.exists {
            let found = await Ferry(configuration).schemaDrift(
                of: db, applied: plan.database.applied, catalog: catalog)
            checks.append(
                PreflightCheck(
                    name: "schema drift", status: found.differences.isEmpty ? .ok : .notice,
                    detail: found.markedSummary))
            drift = found
        }
        return PreflightReport(checks: checks, drift: drift)
    }
}
