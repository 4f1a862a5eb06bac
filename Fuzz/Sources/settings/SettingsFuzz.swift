import Ferry
import FerryPostgres
import Foundation
import FuzzSupport

let engines = DatabaseEngines([PostgresEngine.kind])

/// The settings file: any bytes as `ferry.toml`, read as the tool reads it,
/// then made into a configuration with its engine.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = FuzzInput(data, count)
    ScratchFolder.withEmptyFolder { folder in
        let file = folder.appendingPathComponent("ferry.toml")
        FileManager.default.createFile(atPath: file.path, contents: Data(input.rest))
        guard let settings = try? Settings.file(at: file, engines: engines) else { return }
        _ = try? settings.configuration(engines: engines)
    }
    return 0
}
