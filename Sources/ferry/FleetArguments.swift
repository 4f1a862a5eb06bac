import ArgumentParser
import Ferry
import Foundation

/// The options of a command run over many databases at once (`--databases`).
struct FleetArguments: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run over many databases: a glob of SQLite files ('tenants/*.db', quoted) or @FILE listing "
                + "paths or URLs one a line (env FERRY_DATABASES; [fleet] databases).",
            valueName: "spec"))
    var databases: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --databases: how many at once (default: the cores for SQLite files, 4 otherwise; "
                + "env FERRY_PARALLEL; [fleet] parallel).", valueName: "n"),
        transform: { try OptionValue.count($0, flag: "--parallel", minimum: 1) })
    var parallel: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --databases: the first N databases go first; if one fails, no other is touched "
                + "(env FERRY_CANARY; [fleet] canary).", valueName: "n"),
        transform: { try OptionValue.count($0, flag: "--canary", minimum: 0) })
    var canary: Int?

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "With --databases: record a failure and go on with the others (env FERRY_CONTINUE_ON_ERROR=1; "
                + "[fleet] continue_on_error)."))
    var continueOnError = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --databases: write the JSON report here after each database (env FERRY_REPORT; "
                + "[fleet] report).", valueName: "file"), completion: .file(extensions: ["json"]))
    var report: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run only the databases this report shows as failed or not started; the report is "
                + "updated (implies --databases from the report).", valueName: "file"),
        completion: .file(extensions: ["json"]))
    var resume: String?

    /// Whether the command runs over a fleet.
    var isFleet: Bool { databases != nil || resume != nil }
}
