import FerryPostgres
import FuzzSupport

/// The PostgreSQL script splitter: any text either splits into statements
/// that lie within it, each with a line inside the script, or is refused.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(data, count)
    let script = input.text()
    guard let statements = try? PostgresScriptSplitter.split(script) else { return 0 }
    let lines = script.utf8.lazy.filter { $0 == UInt8(ascii: "\n") }.count + 1
    for statement in statements {
        precondition(
            (1...lines).contains(statement.line),
            "statement at line \(statement.line) of a \(lines)-line script")
    }
    return 0
}
