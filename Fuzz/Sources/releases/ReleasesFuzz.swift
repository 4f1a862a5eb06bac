import Ferry
import FuzzSupport

/// Releases, release ranges, `[[release]] pattern`s and layout names: three
/// lines of text (a release or range, a pattern, a file name).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let first = input.line()
    let patternText = input.line()
    let fileName = input.text()

    let release = try? Release(parsing: first)
    if let release {
        // What a release prints, it reads back as itself.
        precondition(Release(release.description) == release, "\(release) does not read back")
    }
    _ = Release(first)
    if let range = try? ReleaseRange(parsing: first) {
        for candidate in [Release(0, 0, 0), Release(1, 2, 3), release].compactMap({ $0 }) {
            _ = range.contains(candidate)
        }
        _ = range.description
    }
    _ = try? MigrationLayout(parsing: first)
    if let pattern = try? ReleasePattern(patternText) {
        _ = try? pattern.release(in: fileName)
        _ = try? pattern.release(in: first)
    }
    return 0
}
