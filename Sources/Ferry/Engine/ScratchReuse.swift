/// The scratch databases of one fleet run, kept from one database of the
/// fleet to the next.
///
/// A single upgrade makes a scratch database for each check that needs one
/// (the schema drift check, the full check of its backup) and drops it
/// again. On PostgreSQL each `DROP DATABASE` makes the server write every
/// changed page of the whole cluster at once (an immediate checkpoint), so
/// a fleet of schemas that made and dropped two for each schema spent most
/// of its time in checkpoints, and made the server's other work wait on
/// them. Inside a fleet run (``current``), an engine may keep a scratch
/// database in a ``ScratchPool`` of its own, emptied for the next database
/// instead of dropped; the run drains every pool when it ends. And what
/// is built on a scratch database the same way for every database, such as
/// the schema that the schema drift check compares with, is built once.
public final class ScratchReuse: Sendable {
    /// The fleet run's reuse, for the engines that work inside it; nil
    /// outside a fleet run.
    @TaskLocal public static var current: ScratchReuse?

    private let pools = Locked<[String: any ScratchPool]>([:])
    private let schemas = Locked<[String: [SchemaObject]]>([:])

    /// Creates an empty reuse.
    public init() {}

    /// The pool kept under `key` (an engine's words for what may be shared:
    /// its kind, the server, the purpose), made by `make` the first time.
    public func pool<Pool: ScratchPool>(_ key: String, make: () -> Pool) -> Pool {
        pools.withLock { pools in
            if let pool = pools[key] as? Pool { return pool }
            let pool = make()
            pools[key] = pool
            return pool
        }
    }

    /// The schema kept under `key` by ``keep(_:as:)``.
    public func schema(_ key: String) -> [SchemaObject]? {
        schemas.withLock { $0[key] }
    }

    /// Keeps a schema that migrations built on a scratch database, under a
    /// key that names the engine's ``DatabaseEngine/scratchKinship`` and the
    /// migrations, for the next database of the run to take instead of
    /// building it again.
    public func keep(_ schema: [SchemaObject], as key: String) {
        schemas.withLock { $0[key] = schema }
    }

    /// Deletes what every pool keeps.
    public func drain() async {
        let all = pools.withLock { pools in
            defer { pools = [:] }
            return Array(pools.values)
        }
        for pool in all { await pool.drain() }
    }

    /// Runs `body` as ``current``, then drains the pools.
    static func during<Result: Sendable>(_ body: () async -> Result) async -> Result {
        let reuse = ScratchReuse()
        let result = await $current.withValue(reuse) { await body() }
        await reuse.drain()
        return result
    }
}

/// Scratch databases that an engine keeps for reuse during a fleet run
/// (``ScratchReuse``).
public protocol ScratchPool: AnyObject, Sendable {
    /// Deletes every scratch database the pool keeps.
    func drain() async
}
