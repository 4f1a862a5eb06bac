extension Ferry {
    /// The database's release when it is plainly up to date, read as
    /// start-up reads it: the release folders' file names and the history's
    /// fingerprint, without reading any script; nil when that cannot tell
    /// (something is pending, a file was renamed, the database cannot be
    /// read, an upgrade holds the lock, another tool's folder layout).
    ///
    /// Cheap enough to ask on every request of a health check: a nil answer
    /// says only "look closer" (``plan(to:)`` reads everything and says what
    /// is wrong).
    public func upToDateRelease() async -> Release? {
        try? await Upgrade(ferry: self, options: UpgradeOptions(), emit: { _ in })
            .upToDateRelease()
    }
}
