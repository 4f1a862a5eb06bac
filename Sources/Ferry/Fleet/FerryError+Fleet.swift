extension FerryError.Code {
    /// A fleet run in which a database failed or was not started.
    public static let fleetIncomplete = FerryError.Code(rawValue: "fleetIncomplete")
}

extension FerryError {
    /// The error that ends a fleet run in which not every database
    /// succeeded: how many failed and were not started, and what that left.
    ///
    /// - Parameters:
    ///   - counts: How many databases had each result.
    ///   - report: The report file, if one was written.
    ///   - stoppedAtAFailure: Whether the run stopped starting databases at
    ///     a failure that `--continue-on-error` would have gone past (not at
    ///     a failed canary, which stops the rest whatever the options): only
    ///     then does the advice suggest it.
    public static func fleetIncomplete(
        counts: [FleetOutcome: Int], report: String?, stoppedAtAFailure: Bool
    ) -> FerryError {
        let failed = counts[.failed, default: 0]
        let notStarted = counts[.notStarted, default: 0]
        let total = counts.values.reduce(0, +)
        let resume =
            report.map { "run again with \(.resume, .given($0)) to run only those" }
            ?? "run again (with --report FILE, then \(.resume, .placeholder)) to finish"
        return FerryError(
            .fleetIncomplete,
            "\(failed) of \(total) databases failed and \(notStarted) were not started.",
            changes:
                "Each database that succeeded is at its new release; each one that failed is as it was "
                + "(its own transaction rolled back, or its backup restored); those not started were "
                + "not touched.",
            advice:
                "Read each failed database's error in the report, fix the cause, then \(resume)"
                + (stoppedAtAFailure
                    ? "; or pass \(.continueOnError) to go on past a failure." : "."))
    }
}
