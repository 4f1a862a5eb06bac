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
        let error: FerryError? = nil
        let folder: String
        let backups: [Listed]
        /// Manifests that cannot be used, with the reason.
        let unusable: [UnusableBackup]
        /// Files that killed backups of older releases left.
        let leftovers: [String]
    }

    /// A listed backup: its name under `backup`, as every result names a
    /// backup, beside its manifest's keys.
    struct Listed: Encodable {
        let manifest: BackupManifest

        private enum CodingKeys: String, CodingKey {
            case backup
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(manifest.file, forKey: .backup)
            try manifest.encode(to: encoder)
        }
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("backups", readsOnly: true) {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            let catalog = try ferry.backupCatalog()
            let listing = try catalog.listing()
            let backups = listing.backups
            if console.isJSON {
                return console.json(
                    Result(
                        folder: catalog.folder.path,
                        backups: backups.map { Listed(manifest: $0.manifest) },
                        unusable: listing.unusable, leftovers: listing.leftovers))
            }
            console.line("Backups in \(catalog.folder.path): \(backups.count)")
            for backup in backups {
                let manifest = backup.manifest
                let releases =
                    manifest.upgradeTo.map { "\(manifest.release ?? "none") → \($0)" }
                    ?? (manifest.release ?? "no release")
                let verified =
                    manifest.verified.map { "verified \(Timestamp.string(from: $0))" }
                    ?? "not verified"
                console.line("  \(backup.name)")
                console.line(
                    "    \(manifest.kind.rawValue), \(releases), \(FileSafety.formatBytes(manifest.size)), created \(Timestamp.string(from: manifest.created)), \(verified)\(manifest.note.map { ", note: \($0)" } ?? "")\(manifest.attempt.map { ", upgrade \($0.outcome) (\($0.code)) at \(Timestamp.string(from: $0.ended))" } ?? "")"
                )
            }
            if !listing.unusable.isEmpty {
                console.line(
                    "Unusable, never restored nor deleted by retention: \(listing.unusable.count)")
                for entry in listing.unusable {
                    console.line("  \(entry.name)  DAMAGED OR UNUSABLE")
                    console.line(
                        "    \(entry.reason); repair or remove \(entry.manifestFile.lastPathComponent)"
                    )
                }
            }
            if !listing.leftovers.isEmpty {
                console.line(
                    "Left by killed backups of an older Ferry release (delete them once no backup of that release runs): "
                        + listing.leftovers.joined(separator: ", "))
            }
        }
    }
}
