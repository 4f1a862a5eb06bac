import Foundation

/// What start-up reads of a migrations folder in Ferry's layout: its
/// release folders and, for each, the ``HistoryFingerprint`` of its
/// migrations' ids, from the file names alone.
///
/// An application may ask "anything pending?" many times in one process (a
/// health check, a fleet, each request of a server that checks first): the
/// names read once are kept, per folder, while the ``FolderStamp`` of the
/// folder and of every release folder stays the same. A file added, removed
/// or renamed changes its folder's stamp, and the folder is listed again; a
/// folder changed less than ``trustMargin`` before it was listed is listed
/// again at every call, since a change right after the listing could keep
/// its stamp.
struct MigrationFolderNames: Sendable {
    /// The release folders, oldest first.
    let releases: [Release]
    /// The fingerprint of each release folder's migrations, in the order of
    /// ``releases``; nil when a name in some release folder does not fit the
    /// layout (then ``MigrationFolder/read()`` says what is wrong).
    let fingerprints: [HistoryFingerprint]?

    /// How much older than its listing a folder's stamp must be for the
    /// listing to be kept.
    static let trustMargin: Duration = .seconds(2)

    /// The fingerprint of every migration at or below `release`, or nil
    /// when a name does not fit the layout.
    func fingerprint(upTo release: Release) -> HistoryFingerprint? {
        guard let fingerprints else { return nil }
        var total = HistoryFingerprint()
        for (folderRelease, fingerprint) in zip(releases, fingerprints)
        where folderRelease <= release {
            total.add(fingerprint)
        }
        return total
    }

    /// The names of the folder at `url`, kept from an earlier call when its
    /// folders have not changed; nil when the folder is not in Ferry's layout
    /// (`layout`, or the detected one when nil) or cannot be read.
    static func read(_ url: URL, layout: MigrationLayout?) -> MigrationFolderNames? {
        let root = url.path
        let key = "\(layout?.rawValue ?? "detected") \(root)"
        if let kept = kept.withLock({ $0[key] }), kept.isCurrent() { return kept.names }

        let listedAt = FolderStamp.now()
        guard let rootStamp = FolderStamp(path: root),
            (try? layout ?? MigrationLayout.detect(in: url)) == .ferry
        else { return nil }
        let folder = MigrationFolder(url: url)
        guard let folders = try? folder.releaseFolders() else { return nil }
        var stamps = [(root, rootStamp)]
        var fingerprints: [HistoryFingerprint]? = []
        for release in folders {
            // Stamped before it is listed: a change in between shows at the next call.
            guard let stamp = FolderStamp(path: release.path) else { return nil }
            stamps.append((release.path, stamp))
            var fingerprint = HistoryFingerprint()
            guard folder.addMigrationIDs(in: [release], upTo: release.release, to: &fingerprint)
            else {
                fingerprints = nil
                continue
            }
            fingerprints?.append(fingerprint)
        }
        let names = MigrationFolderNames(
            releases: folders.map(\.release), fingerprints: fingerprints)
        let isTrusted = stamps.allSatisfy { $0.1.isOlder(than: listedAt, by: trustMargin) }
        kept.withLock { kept in
            if kept.count >= keptFolders { kept.removeAll() }
            kept[key] = isTrusted ? Kept(names: names, stamps: stamps) : nil
        }
        return names
    }

    /// The listings kept, by layout and path.
    private static let kept = Locked<[String: Kept]>([:])
    /// How many folders' listings are kept at most (a process knows one or a few).
    private static let keptFolders = 64

    /// A listing and the stamps of its folders when it was made.
    private struct Kept: Sendable {
        let names: MigrationFolderNames
        let stamps: [(path: String, stamp: FolderStamp)]

        /// Whether every folder still carries the stamp it had.
        func isCurrent() -> Bool {
            stamps.allSatisfy { FolderStamp(path: $0.path) == $0.stamp }
        }
    }
}
