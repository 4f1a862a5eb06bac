import ArgumentParser
import Ferry
import Foundation

struct NewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a new migration, numbered after the others, in the folder's layout.")

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("The migration's name, such as add_rooms.", valueName: "name"))
    var name: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The release folder to write in (Ferry's layout; default: the newest).",
            valueName: "version"),
        transform: OptionValue.release)
    var release: Release?

    @Flag(name: .long, help: "Write a down script too.")
    var down = false

    @Flag(name: .long, help: "Write a verify script too (Ferry's and Sqitch's layouts).")
    var verify = false

    struct Result: Encodable {
        let command = "new"
        let ok: Bool
        let error: FerryError?
        let layout: String?
        let files: [String]
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        var layout: MigrationLayout?
        do {
            let settings = try common.settings(needsDatabase: false)
            let folder = URL(fileURLWithPath: settings.migrations ?? "migrations")
            layout = try settings.layout ?? MigrationLayout.detect(in: folder)
            let files = try NewMigration.files(
                named: name, in: folder, layout: layout!, release: release, down: down,
                verify: verify)
            try NewMigration.write(files)
            let paths = files.map(\.url.path)
            if console.isJSON {
                return console.json(
                    Result(ok: true, error: nil, layout: layout?.rawValue, files: paths))
            }
            for path in paths { console.line(path) }
        } catch let error as FerryError {
            if console.isJSON {
                console.json(
                    Result(
                        ok: false,
                        error: error.changes == nil
                            ? error.changing("Nothing was changed.") : error,
                        layout: layout?.rawValue, files: []))
            } else {
                console.report(error, command: "new", readsOnly: true)
            }
            throw ExitCode(error.exitCode)
        }
    }
}

extension FerryError {
    /// The error saying what was changed.
    fileprivate func changing(_ changes: String) -> FerryError {
        var error = self
        error.changes = changes
        return error
    }
}
