import ArgumentParser
import Ferry
import Foundation

extension UpgradeCommand {
    struct RehearsalResult: Encodable {
        let command = "upgrade"
        let rehearsal = true
        let ok = true
        let error: FerryError? = nil
        let report: RehearsalReport
    }

    /// `upgrade --rehearse`: the whole upgrade on a copy, reported, and thrown away.
    func rehearse(_ ferry: Ferry, _ options: UpgradeOptions, console: Console) async throws {
        let printEvent: (@Sendable (UpgradeEvent) -> Void)? =
            console.onEvent
        if !console.isJSON {
            console.line("Rehearsing on a copy of \(ferry.configuration.engine.displayName)…")
        }
        let report = try await ferry.rehearse(options, onEvent: printEvent)
        if console.isJSON { return console.json(RehearsalResult(report: report)) }
        console.line("Preflight:")
        console.preflightTable(report.preflight)
        console.driftWarnings(report.preflight.drift)
        console.line("Steps:")
        console.table(report.steps.map { [Duration.text(seconds: $0.seconds), $0.name] })
        console.line("Rows (before → after):")
        let tables = Set(report.rowsBefore.keys).union(report.rowsAfter.keys).sorted()
        console.table(
            tables.map { table in
                [
                    table, report.rowsBefore[table].map(String.init) ?? "-", "→",
                    report.rowsAfter[table].map(String.init) ?? "-",
                ]
            })
        if let before = report.bytesBefore, let after = report.bytesAfter {
            let change = after - before
            console.line("Size: \(before) → \(after) bytes (\(change >= 0 ? "+" : "")\(change))")
        }
        console.line(
            "Predicted duration: \(Duration.text(seconds: report.predictedSeconds)) "
                + "(backup ≈ copy \(Duration.text(seconds: report.copySeconds)), upgrade \(Duration.text(seconds: report.upgradeSeconds)))"
        )
        console.line(
            "Rehearsal of \(report.from ?? "a new database") → \(report.to) succeeded; "
                + "the copy was deleted and the database was not changed.")
    }
}
