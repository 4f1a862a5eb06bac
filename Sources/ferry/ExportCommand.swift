import ArgumentParser
import Ferry
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write the database's rows to a new folder with a manifest, from one consistent snapshot.",
        discussion: """
            The folder holds manifest.json (written last), schema.sql and data/<table>/NNNN.jsonl. \
            Secret columns ([export] secret_columns) are carried as they are unless --redact.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(
        help: ArgumentHelp("The folder to write: new, or empty.", valueName: "dir"),
        completion: .directory)
    var folder: String

    @Option(
        name: .customLong("table"),
        help: ArgumentHelp("Export only this table (repeat for more).", valueName: "table"))
    var tables: [String] = []

    @Option(
        name: .customLong("entity"),
        help: ArgumentHelp(
            "Export only this row (by its primary key), every row that depends on it through "
                + "foreign keys, and the rows they reference, marked as references (repeat for more).",
            valueName: "table=key"))
    var entities: [EntitySelection] = []

    @Flag(name: .long, help: "Write the secret columns ([export] secret_columns) as NULL.")
    var redact = false

    @Flag(name: .long, help: "Compress each part with gzip (NNNN.jsonl.gz).")
    var compress = false

    struct Result: Encodable {
        let command = "export"
        let ok = true
        let error: FerryError? = nil
        let export: ExportReport
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("export", readsOnly: true) {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let report = try await ferry.export(
                to: URL(fileURLWithPath: folder),
                options: ExportOptions(
                    tables: tables, entities: entities, redact: redact, compress: compress),
                onEvent: console.onEvent)
            if console.isJSON { return console.json(Result(export: report)) }
            for table in report.tables {
                console.line(
                    "  \(table.name): \(table.rows) rows in \(table.files) file\(table.files == 1 ? "" : "s")"
                        + (table.references ? " (references)" : "")
                )
            }
            if !report.secretColumnsIncluded.isEmpty {
                console.line(
                    "It holds the secret columns \(report.secretColumnsIncluded.joined(separator: ", ")) as they are: keep it private."
                )
            }
            if !report.redactedColumns.isEmpty {
                console.line("Written as NULL: \(report.redactedColumns.joined(separator: ", ")).")
            }
            let what =
                report.entities.isEmpty ? "" : " of \(report.entities.joined(separator: ", "))"
            console.line(
                "Exported \(report.tables.reduce(0) { $0 + $1.rows }) rows\(what) of release \(report.release ?? "none") to \(report.folder)."
            )
        }
    }
}
