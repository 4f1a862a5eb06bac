/// A short digest of which migrations a database has applied, so that
/// start-up can see that nothing is pending without reading the history.
///
/// Every engine writes it (through ``HistoryStore``) with the release stamp, inside
/// the transaction that writes the history rows, from the rows themselves.
/// At start-up, Ferry computes the fingerprint of the migrations it knows
/// (the file names of the migrations folder and the registered migrations,
/// up to the program's release) and compares: equal fingerprints mean the
/// same set of ids, so nothing is pending. Any difference, or a database
/// without a fingerprint, takes the full path that reads the history.
///
/// The digest does not depend on order (the folder is listed in no
/// particular order): it is the number of ids and two sums of 64-bit hashes
/// of each id's UTF-8 bytes. It guards against accidents (a new, removed or
/// renamed file), not against someone forging a history.
public struct HistoryFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// How many ids it holds.
    public private(set) var count = 0
    private var firstSum: UInt64 = 0
    private var secondSum: UInt64 = 0

    /// The fingerprint of no migration.
    public init() {}

    /// The fingerprint of these ids.
    public init(ids: some Sequence<String>) {
        for id in ids { add(id) }
    }

    /// The fingerprint of a history's rows, given as ids and kinds: the
    /// bookkeeping rows (hooks and baselines), which no file names, are left
    /// out.
    public init(history: some Sequence<(id: String, kind: String)>) {
        for row in history where !Self.bookkeepingKinds.contains(row.kind) { add(row.id) }
    }

    /// The kinds of history rows that are not migrations of the catalog.
    static let bookkeepingKinds: Set<String> = [
        Migration.Kind.hook.rawValue, Migration.Kind.baseline.rawValue,
    ]

    /// Adds an id.
    public mutating func add(_ id: String) {
        var hash = Hash()
        var id = id
        id.withUTF8 { hash.add($0) }
        add(hash)
    }

    /// Adds the id whose bytes a ``Hash`` was fed.
    mutating func add(_ hash: Hash) {
        count += 1
        firstSum &+= finalizedHash(hash.first)
        secondSum &+= finalizedHash(hash.second)
    }

    /// Adds every id of another fingerprint (the ids of one release folder,
    /// say): the sums of hashes add up.
    mutating func add(_ other: HistoryFingerprint) {
        count += other.count
        firstSum &+= other.firstSum
        secondSum &+= other.secondSum
    }

    /// The text stored in the database: `count-first-second`, the sums in
    /// hexadecimal.
    public var description: String {
        "\(count)-\(String(firstSum, radix: 16))-\(String(secondSum, radix: 16))"
    }

    /// Reads the text of ``description``, or nil when it is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let count = Int(parts[0]), let first = UInt64(parts[1], radix: 16),
            let second = UInt64(parts[2], radix: 16)
        else { return nil }
        self.count = count
        self.firstSum = first
        self.secondSum = second
    }

    /// Two FNV-1a-style hashes of the same bytes (different starting points
    /// and multipliers), fed piece by piece: a release's prefix once, then
    /// each file's name.
    struct Hash {
        var first: UInt64 = 0xcbf2_9ce4_8422_2325
        var second: UInt64 = 0x6c62_272e_07bb_0142

        mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) {
            for byte in bytes { add(byte) }
        }

        mutating func add(_ byte: UInt8) {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            second = (second ^ UInt64(byte)) &* 0x9e37_79b9_7f4a_7c15
        }
    }
}
