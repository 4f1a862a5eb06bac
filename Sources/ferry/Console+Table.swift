import Ferry
import Foundation

extension Console {
    /// Writes rows as aligned columns; the last column is not padded.
    func table(_ rows: [[String]]) {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() where index < columns - 1 {
                widths[index] = max(widths[index], cell.count)
            }
        }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index < row.count - 1
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell
            }
            line("  " + cells.joined(separator: "  "))
        }
    }

    /// Writes each schema drift difference as a warning line under a table.
    func driftWarnings(_ drift: SchemaDrift?) {
        for difference in drift?.differences ?? [] { line("    warning: \(difference.detail)") }
    }

    /// Writes a preflight report as a table of checks, in the tool's words.
    func preflightTable(_ report: PreflightReport) {
        table(report.checks.map { [$0.status.rawValue, $0.name, $0.worded(for: .tool).detail] })
    }

    /// Writes a verification report as a table of checks, in the tool's words.
    func verificationTable(_ report: VerificationReport) {
        table(report.checks.map { [$0.status.rawValue, $0.name, $0.worded(for: .tool).detail] })
    }
}
