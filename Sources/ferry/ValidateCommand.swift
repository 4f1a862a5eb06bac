import ArgumentParser
import Ferry
import Foundation

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check that every applied migration still matches its file (SHA-256) and none is unknown.")

    @OptionGroup var common: CommonOptions

    struct Result: Encodable {
        let command = "validate"
        let ok = true
        let checked: Int
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("validate") {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let plan = try await ferry.validate()
            let checked = plan.database.applied.filter { $0.kind != Migration.Kind.hook.rawValue }.count
            if console.isJSON { return console.json(Result(checked: checked)) }
            console.line("All \(count(checked, "applied migration")) match their files.")
        }
    }
}
