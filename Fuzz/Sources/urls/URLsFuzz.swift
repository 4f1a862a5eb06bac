import Ferry
import FerryPostgres
import FuzzSupport

let engines = DatabaseEngines([PostgresEngine.kind])

/// Database locations as `--database` takes them: the kind chosen by the
/// scheme, then the engine made; a PostgreSQL URL's password never appears
/// in the error that refuses it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let location = input.text()
    _ = try? engines.kind(for: location)
    _ = try? engines.engine(for: location, settings: Settings())
    do {
        let parsed = try PostgresLocation(url: location, environment: [:])
        _ = parsed.description
    } catch {
        _ = "\(error)"
    }
    return 0
}
