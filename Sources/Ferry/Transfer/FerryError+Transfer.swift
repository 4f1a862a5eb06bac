extension FerryError.Code {
    /// A transfer asked for what cannot be: an unknown definition or
    /// entity, the same entity twice, a condition the engine refuses.
    public static let invalidTransfer = FerryError.Code(rawValue: "invalidTransfer")
    /// A transfer refused with nothing changed: conflicts under policy
    /// refuse, rows that changed between preview and commit, an undo of
    /// rows that changed since.
    public static let transferRefused = FerryError.Code(rawValue: "transferRefused")
    /// A transfer's statement failed; it was rolled back.
    public static let transferFailed = FerryError.Code(rawValue: "transferFailed")
}

extension FerryError.Command {
    /// List the transfers recorded in the database.
    public static let transfers = FerryError.Command(
        name: "transfer", arguments: ["--list"], call: "Ferry.transfers()")
}
