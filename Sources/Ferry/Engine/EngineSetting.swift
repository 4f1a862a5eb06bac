/// A setting that one engine reads, such as the folder of its tools: its
/// key in `ferry.toml` and its `FERRY_*` variable.
///
/// An engine declares its settings in its ``DatabaseEngineKind``; reading
/// the file and the environment with the program's ``DatabaseEngines`` fills
/// ``Settings/engineOptions`` from them, with the same precedence and checks
/// as every other setting, so the core names no engine's option.
public struct EngineSetting: Sendable, Hashable {
    /// The table of `ferry.toml` that holds it, such as `database`.
    public var table: String
    /// Its key in that table, such as `tools`; also its name in
    /// ``Settings/engineOptions``.
    public var key: String
    /// Its environment variable, such as `FERRY_TOOLS`.
    public var environmentVariable: String
    /// Whether the value is a path: a relative one in the file is then
    /// relative to the file's folder (in the environment, to the working
    /// directory).
    public var isPath: Bool

    /// Creates an engine's setting.
    ///
    /// - Parameters:
    ///   - table: The table of `ferry.toml` that holds it.
    ///   - key: Its key in that table, and its name in ``Settings/engineOptions``.
    ///   - environmentVariable: Its `FERRY_*` variable.
    ///   - isPath: Whether the value is a path.
    public init(table: String, key: String, environmentVariable: String, isPath: Bool = false) {
        self.table = table
        self.key = key
        self.environmentVariable = environmentVariable
        self.isPath = isPath
    }
}
