import ArgumentParser
import Ferry
import Foundation

struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups", abstract: "List the backup catalog, newest first.")

    @OptionGroup var common: CommonOptions

    struct Result: Encodable {
        let command = "backups"
        let ok = true
        let folder: String
        let backups: [BackupManifest]
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("backups") {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let catalog = try ferry.backupCatalog()
            let backups = try catalog.list()
            if console.isJSON { return console.json(Result(folder: catalog.folder.path, backups: backups.map(\.manifest))) }
            console.line("Backups in \(catalog.folder.path): \(backups.count)")
            for backup in backups {
                let manifest = backup.manifest
                let releases = manifest.upgradeTo.map { "\(manifest.release ?? "none") → \($0)" } ?? (manifest.release ?? "no release")
                let verified = manifest.verified.map { "verified \(Timestamp.string(from: $0))" } ?? "not verified"
                console.line("  \(backup.name)")
                console.line("    \(manifest.kind.rawValue), \(releases), \(FileSafety.formatBytes(manifest.size)), created \(Timestamp.string(from: manifest.created)), \(verified)\(manifest.note.map { ", note: \($0)" } ?? "")")
            }
        }
    }
}
