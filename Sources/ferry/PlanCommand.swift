import ArgumentParser
import Ferry
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what an upgrade would do, changing nothing.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: ArgumentHelp("Plan the upgrade to this release instead of the program's.", valueName: "version"))
    var to: String?

    @Flag(name: .long, help: "Plan as if changed or missing migrations were accepted.")
    var allowChanged = false

    struct PlannedMigration: Encodable {
        let id: String
        let release: Release
        let transactional: Bool
    }

    struct Result: Encodable {
        let command = "plan"
        let ok: Bool
        let from: String?
        let to: Release
        let pending: [PlannedMigration]
        let hooks: [String]
        let upToDate: Bool
        let freshInstall: Bool
        let error: FerryError?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("plan") {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let plan = try await ferry.plan(to: try to.map(Release.init(parsing:)))
            let refusal = plan.refusal(allowingChanged: allowChanged)
            if console.isJSON {
                console.json(Result(
                    ok: refusal == nil, from: plan.database.recordedRelease, to: plan.targetRelease,
                    pending: plan.pending.map { .init(id: $0.id, release: $0.release, transactional: $0.isTransactional) },
                    hooks: plan.hooks.map(\.id), upToDate: plan.isUpToDate, freshInstall: plan.isFreshInstall, error: refusal))
            } else {
                console.line("Database: \(ferry.configuration.engine.displayName)\(plan.isFreshInstall ? " (fresh install)" : "")")
                console.line(plan.summary)
                for (index, migration) in plan.pending.enumerated() {
                    let marker = migration.isTransactional ? "" : "  (runs alone, outside the transaction)"
                    console.line("  \(index + 1). \(migration.id)\(marker)")
                }
                for hook in plan.hooks {
                    console.line("  then hook \(hook.id) (from \(hook.from), to \(hook.to))")
                }
                if !plan.pending.isEmpty {
                    console.line("All of it in one transaction; the release becomes \(plan.targetRelease) when it commits.")
                }
                if let refusal { console.problem("error: \(refusal.description)") }
                console.line("Nothing was changed (plan only reads).")
            }
            if let refusal { throw ExitCode(refusal.exitCode) }
        }
    }
}
