import Ferry
import Foundation
import FuzzSupport

/// An export's manifest: the bytes of `manifest.json` read alone, then an
/// export folder (an archive `PATH\0CONTENTS\0`…) checked as an import
/// checks it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let file = URL(fileURLWithPath: "/export/manifest.json")
    if input.byte() % 2 == 0 {
        if let manifest = try? ExportManifest.read(Data(input.rest), from: file) {
            _ = try? manifest.encoded()
        }
        return 0
    }
    ScratchFolder.withEmptyFolder { folder in
        ScratchFolder.unpack(&input, into: folder)
        _ = try? ExportFolder(url: folder).checked()
    }
    return 0
}
