import Foundation
import Testing

@testable import Ferry

/// The words of an export that filled its disk: what was being written, as
/// the user knows it.
@Suite struct ExportFolderFullTests {
    @Test func aPartIsNamedAndAnyOtherWriteIsNot() {
        let folder = URL(fileURLWithPath: "/exports/x")
        let part = FerryError.exportFolderFull(
            folder, written: 10 << 20, freeAtStart: 12 << 20, databaseSize: 20 << 20,
            cause: ExportFolderFull(file: folder.appendingPathComponent("data/t/0003.jsonl")))
        #expect(part.message.contains("(/exports/x/data/t/0003.jsonl was being written)"))
        // The manifest's write, under a temporary name: its error's words are no file's name.
        let manifest = FerryError.exportFolderFull(
            folder, written: 10 << 20, freeAtStart: 12 << 20, databaseSize: 20 << 20,
            cause: FerryError(
                .fileSystem,
                "Cannot write /exports/x/.ferry-work-write-1/manifest.json: No space left on device."
            ))
        #expect(!manifest.message.contains("was being written"), "\(manifest.message)")
        #expect(!manifest.message.contains(".ferry-work"), "\(manifest.message)")
        #expect(manifest.message.contains(" of about "), "\(manifest.message)")
    }
}
