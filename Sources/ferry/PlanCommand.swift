import ArgumentParser
import Ferry
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what an upgrade would do, changing nothing.")

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Plan the upgrade to this release instead of the program's.", valueName: "version"),
        transform: OptionValue.release)
    var to: Release?

    @Flag(name: .long, help: "Plan as if changed or missing migrations were accepted.")
    var allowChanged = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Plan with 'upgrade' (one transaction, the default) or 'migration' (one per migration).",
            valueName: "mode"))
    var transactionMode: TransactionMode?

    struct PlannedMigration: Encodable {
        let id: String
        let release: Release
        let transactional: Bool
        let transaction: Migration.Transaction
    }

    struct Result: Encodable {
        let command = "plan"
        let ok: Bool
        let from: String?
        let to: Release
        /// The pending migrations' ids, in the order they would run (ids, as `pending` and `applied` are everywhere).
        let pending: [String]
        /// The same migrations with how each would run.
        let migrations: [PlannedMigration]
        let hooks: [String]
        let upToDate: Bool
        let freshInstall: Bool
        /// The migrations folder's layout (`ferry`, `flyway`, …), configured or detected.
        let layout: String?
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("plan", readsOnly: true) {
            let settings = try common.settings(
                adding: Settings { $0.transactionMode = transactionMode })
            let mode = settings.upgradeTransactionMode()
            let ferry = Ferry(try common.configuration(settings, console: console))
            let plan = try await ferry.plan(to: to)
            let refusal = plan.refusal(allowingChanged: allowChanged)
            if console.isJSON {
                console.json(
                    Result(
                        ok: refusal == nil, from: plan.database.recordedRelease,
                        to: plan.targetRelease,
                        pending: plan.pending.map(\.id),
                        migrations: plan.pending.map {
                            .init(
                                id: $0.id, release: $0.release, transactional: $0.isTransactional,
                                transaction: $0.transaction)
                        },
                        hooks: plan.hooks.map(\.id), upToDate: plan.isUpToDate,
                        freshInstall: plan.isFreshInstall, layout: plan.layout?.layout.rawValue,
                        error: refusal))
            } else {
                console.line(
                    "Database: \(ferry.configuration.engine.displayName)\(plan.isFreshInstall ? " (fresh install)" : "")"
                )
                console.line(plan.summary)
                for (index, migration) in plan.pending.enumerated() {
                    let marker: String
                    switch migration.transaction {
                    case .none: marker = "  (runs alone, outside any transaction)"
                    case .own: marker = "  (in a transaction of its own)"
                    case .shared: marker = ""
                    }
                    console.line("  \(index + 1). \(migration.id)\(marker)")
                }
                for hook in plan.hooks {
                    console.line("  then hook \(hook.id) (from \(hook.from), to \(hook.to))")
                }
                if !plan.pending.isEmpty {
                    switch mode {
                    case .wholeUpgrade where plan.pending.allSatisfy({ $0.transaction == .shared }):
                        console.line(
                            "All of it in one transaction; the release becomes \(plan.targetRelease) when it commits."
                        )
                    case .wholeUpgrade:
                        console.line(
                            "The rest in one transaction; the release becomes \(plan.targetRelease) when the last commits."
                        )
                    case .perMigration:
                        console.line(
                            "One transaction per migration (--transaction-mode migration); the database "
                                + "records each release once all its migrations have committed.")
                    }
                }
                if let application = plan.appliedByApplicationSummary {
                    console.line("Applied: \(application).")
                }
                if let refusal {
                    console.problem("error: \(refusal.worded(for: .tool).description)")
                }
                console.line("Nothing was changed (plan only reads).")
            }
            if let refusal { throw ExitCode(refusal.exitCode) }
        }
    }
}
