import Ferry
import Foundation
import FuzzSupport

/// A backups folder: an archive of files (`PATH\0CONTENTS\0`…), manifests
/// among them, listed as `ferry backups` lists it; every usable backup is
/// looked up by name again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let engine = input.byte() % 2 == 0 ? "sqlite" : nil
    ScratchFolder.withEmptyFolder { folder in
        ScratchFolder.unpack(&input, into: folder)
        let catalog = BackupCatalog(folder: folder, engineName: engine)
        guard let listing = try? catalog.listing() else { return }
        for backup in listing.backups {
            _ = try? catalog.backup(named: backup.name)
        }
    }
    return 0
}
