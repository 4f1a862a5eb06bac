import ArgumentParser
import Ferry
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load an export folder into the database, all rows or none.",
        discussion: """
            Every file is checked against the manifest before anything is written. Into an empty \
            database the application's migrations make the export's release, the rows are loaded, then \
            the database is upgraded; into one with data a pre-import backup is taken first.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(
        help: ArgumentHelp("The export folder.", valueName: "dir"), completion: .directory)
    var folder: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "empty (a key already there refuses the import), merge (insert new rows, report each conflict) "
                + "or skip (insert new rows, keep existing ones).", valueName: "mode"))
    var mode: ImportMode = .empty

    @Flag(name: .long, help: "Write nothing; report the rows per table and the conflicts.")
    var dryRun = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Put the exported entities under this row of a table they reference: their foreign keys "
                + "to it point at it, and their integer keys the database already holds are renumbered.",
            valueName: "table=key"))
    var into: EntitySelection?

    @Flag(
        name: .long,
        help: "Let the upgrades the import runs go on despite preflight warnings (never blockers).")
    var force = false

    @Flag(name: .long, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    struct Result: Encodable {
        let command = "import"
        let ok: Bool
        let error: FerryError?
        let `import`: ImportReport
    }

    /// What a dry run found that the import itself would be refused for
    /// (values the target refuses; keys already held under `--mode empty`),
    /// or nil: a script learns it from the status, as from the import.
    static func dryRunRefusal(of report: ImportReport, mode: ImportMode) -> FerryError? {
        guard report.dryRun else { return nil }
        let refused = report.tables.reduce(0) { $0 + $1.refused }
        if refused > 0 {
            return FerryError(
                .invalidExport,
                "\(refused) row\(refused == 1 ? " holds" : "s hold") a value the target would refuse (listed): the import would fail until they are fixed in the source (or, for numbers under a date or time column, read by an [[import.convert]] rule).",
                changes: "Nothing was written: this was a dry run.")
        }
        let held = report.tables.filter { !$0.references }.reduce(0) { $0 + $1.conflicts }
        if mode == .empty, held > 0 {
            return FerryError(
                .invalidExport,
                "\(held) row\(held == 1 ? " has" : "s have") a key the database already holds (listed): under --mode empty the import would be refused.",
                changes: "Nothing was written: this was a dry run.",
                advice:
                    "Choose --mode merge (insert new rows, report conflicts) or --mode skip (keep existing rows), or import into an empty database."
            )
        }
        return nil
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("import", readsOnly: dryRun) {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            if !dryRun {
                try console.confirm(
                    "Import \(folder) into \(ferry.configuration.engine.displayName) (mode \(mode.rawValue))?",
                    typing: "import", yes: yes)
            }
            let report = try await ferry.import(
                from: URL(fileURLWithPath: folder),
                options: ImportOptions(mode: mode, dryRun: dryRun, force: force, into: into),
                onEvent: console.onEvent)
            let refusal = Self.dryRunRefusal(of: report, mode: mode)
            if console.isJSON {
                console.json(Result(ok: refusal == nil, error: refusal, import: report))
                if let refusal { throw ExitCode(refusal.exitCode) }
                return
            }
            for table in report.tables {
                var line =
                    "  \(table.name)\(table.references ? " (references)" : ""): \(table.rows) rows, \(table.inserted) \(dryRun ? "would be " : "")inserted"
                if table.conflicts > 0 {
                    line += ", \(table.conflicts) already there"
                    if mode == .merge || dryRun {
                        line +=
                            " (" + table.conflictKeys.joined(separator: "; ")
                            + (table.conflicts > table.conflictKeys.count ? "; …" : "") + ")"
                    }
                }
                if table.refused > 0 { line += ", \(table.refused) refused" }
                if table.renumbered > 0 {
                    line +=
                        ", keys renumbered: " + table.renumberedKeys.joined(separator: ", ")
                        + (table.renumbered > table.renumberedKeys.count ? ", …" : "")
                }
                console.line(line)
                for column in table.converted {
                    console.line(
                        "    \(column.column): \(column.values) value\(column.values == 1 ? "" : "s") \(dryRun ? "would be " : "")converted from \(column.from) to \(column.to)"
                    )
                }
                for reason in table.refusedValues { console.line("    refused: \(reason)") }
                if table.refused > table.refusedValues.count {
                    console.line("    refused: … \(table.refused - table.refusedValues.count) more")
                }
            }
            if let backup = report.backup { console.line("Pre-import backup: \(backup)") }
            if let earlier = report.earlierRun, dryRun {
                console.line(
                    "Dry run: nothing was written. The rows of this export were loaded at \(earlier), by an earlier run of this import: "
                        + (report.release == report.from
                            ? "the import would change nothing."
                            : "the import would only upgrade the database to release \(report.release ?? "none").")
                )
                return
            }
            if let earlier = report.earlierRun {
                console.line(
                    report.release == report.from
                        ? "Nothing was changed: the rows of this export were loaded at \(earlier), by an earlier run of this import. The database is at release \(report.release ?? "none")."
                        : "The rows of this export were loaded at \(earlier) by an earlier run that stopped before its upgrade; this run upgraded the database to release \(report.release ?? "none")."
                )
                return
            }
            let rows = report.tables.reduce(0) { $0 + $1.inserted }
            if let refusal { throw refusal }
            if dryRun {
                console.line(
                    "Dry run: nothing was written. \(rows) rows would be imported; the database would be at release \(report.release ?? "none")."
                )
            } else if rows == 0, report.release == report.from {
                console.line(
                    "Nothing was changed: every row of the export is already there. The database is at release \(report.release ?? "none")."
                )
            } else {
                console.line(
                    "Imported \(rows) rows; the database is at release \(report.release ?? "none")."
                )
            }
        }
    }
}

extension ImportMode: ExpressibleByArgument {}
