import Foundation

/// A manifest in the backup catalog that cannot be used: damaged (not JSON,
/// a field missing or of the wrong type), naming a file that is not a plain
/// name inside the catalog (`../../victim.txt`, a link), whose backup file is
/// missing, written in a manifest format this program does not know, or by
/// another engine.
///
/// It is listed by `ferry backups` with its reason, refused by a restore
/// that names it, makes `restore --latest` refuse when it is the newest
/// entry, and is never deleted by retention: a person decides what it is.
public struct UnusableBackup: Sendable, Equatable, Encodable {
    /// The manifest's name without `.json`, as the catalog shows it.
    public let name: String
    /// The manifest file.
    public let manifestFile: URL
    /// The backup file's name as the manifest gives it, when it is a plain
    /// name inside the catalog.
    public let file: String?
    /// Why it cannot be used, for people.
    public let reason: String
    /// The kind the manifest gives, when it could be read.
    public let kind: BackupKind?
    /// When it was made: the manifest's time when it could be read, else the
    /// manifest file's modification time.
    public let created: Date

    /// Creates an entry.
    public init(
        name: String, manifestFile: URL, file: String?, reason: String, kind: BackupKind?,
        created: Date
    ) {
        self.name = name
        self.manifestFile = manifestFile
        self.file = file
        self.reason = reason
        self.kind = kind
        self.created = created
    }

    private enum CodingKeys: String, CodingKey {
        // `backup`, as every JSON Ferry writes names a backup (docs/JSON.md).
        case name = "backup"
        case manifest, file, reason, kind, created
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(manifestFile.lastPathComponent, forKey: .manifest)
        try container.encodeIfPresent(file, forKey: .file)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(kind, forKey: .kind)
        try container.encode(created, forKey: .created)
    }

    /// Whether `wanted` names it: its manifest's name, with or without
    /// `.json`, or its file's name, with or without its extension (also
    /// when the manifest is too damaged to give the file's name).
    func isNamed(_ wanted: String) -> Bool {
        wanted == name || BackupCatalog.stem(of: wanted) == name
            || wanted == manifestFile.lastPathComponent
            || file.map { wanted == $0 || wanted == BackupCatalog.stem(of: $0) } == true
    }
}

/// The fields of a manifest that can be read even when the whole cannot,
/// each on its own: they say what a damaged entry was.
struct ManifestHints: Decodable {
    var formatVersion: Int?
    var kind: BackupKind?
    var created: Date?
    var file: String?

    private enum CodingKeys: String, CodingKey {
        case formatVersion, kind, created, file
    }

    init() {}

    init(from decoder: any Decoder) throws {
        guard let container = try? decoder.container(keyedBy: CodingKeys.self) else { return }
        formatVersion = try? container.decodeIfPresent(Int.self, forKey: .formatVersion)
        kind = try? container.decodeIfPresent(BackupKind.self, forKey: .kind)
        created = try? container.decodeIfPresent(Date.self, forKey: .created)
        file = try? container.decodeIfPresent(String.self, forKey: .file)
    }
}
