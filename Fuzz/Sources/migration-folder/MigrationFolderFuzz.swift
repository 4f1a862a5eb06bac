import Ferry
import Foundation
import FuzzSupport

/// A migrations folder: its layout (a first byte: detected, or one named),
/// then an archive of its files (`PATH\0CONTENTS\0`…), read as an upgrade
/// reads it: release folders, file names, `-- ferry:` headers, hooks and
/// their ranges, and the folders of other tools (Flyway, golang-migrate,
/// goose, dbmate, sqitch plans…).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let choice = Int(input.byte())
    let layouts = MigrationLayout.allCases
    let layout = choice < layouts.count ? layouts[choice] : nil
    ScratchFolder.withEmptyFolder { folder in
        ScratchFolder.unpack(&input, into: folder)
        _ = try? MigrationCatalog(
            folder: folder, layout: layout, programRelease: Release(1, 0, 0),
            registry: MigrationRegistry())
    }
    return 0
}
