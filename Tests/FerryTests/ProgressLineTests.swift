import Ferry
import Foundation
import Testing

@Suite struct ProgressLineTests {
    private func progress(
        _ task: String = "backup copy", _ unit: ProgressUnit = .pages, done: Int64,
        total: Int64?, seconds: Double
    ) -> WorkProgress {
        WorkProgress(task: task, unit: unit, done: done, total: total, seconds: seconds)
    }

    @Test func drawsABarWithCountsRateAndTimeLeft() {
        let line = ProgressLine.text(
            for: progress(done: 1024, total: 2048, seconds: 2), elapsed: 2, width: 100)
        #expect(
            line
                == "backup copy [###############---------------]  50% 1,024/2,048 pages 512 pages/s 0:02 left"
        )
        #expect(line.count <= 99)
    }

    @Test func workRunningAtOnceSharesTheLine() {
        let restore = progress("restore", .bytes, done: 30_000_000, total: 70_000_000, seconds: 3)
        let check = progress("backup load", .bytes, done: 10_000_000, total: 70_000_000, seconds: 3)
        for width in [200, 100, 60, 20, 5] {
            let line = ProgressLine.text(for: [restore, check], width: width)
            #expect(line.count <= width - 1, "\(width): \(line)")
            if width >= 60 {
                let parts = line.components(separatedBy: ProgressLine.separator)
                #expect(parts.count == 2, "\(line)")
                #expect(parts[0].hasPrefix("restore [") && parts[1].hasPrefix("backup load"))
            }
        }
        #expect(
            ProgressLine.text(for: [restore], width: 100)
                == ProgressLine.text(for: restore, elapsed: 3, width: 100))
        #expect(ProgressLine.text(for: [], width: 100) == "")
    }

    @Test func writesBytesWithTheirUnit() {
        let line = ProgressLine.text(
            for: progress("dump", .bytes, done: 25_000_000, total: 100_000_000, seconds: 5),
            elapsed: 5, width: 120)
        #expect(line.hasPrefix("dump [#######"))
        #expect(line.hasSuffix(" 25% 25.0 MB/100.0 MB 5.0 MB/s 0:15 left"))
    }

    @Test func anUnknownTotalSpinsAndShowsTheTimeItRan() {
        let line = ProgressLine.text(
            for: progress("integrity check", .steps, done: 18000, total: nil, seconds: 2),
            elapsed: 2, width: 80)
        #expect(line == "integrity check | 18,000 steps 9,000 steps/s 0:02")
        let later = ProgressLine.text(
            for: progress("integrity check", .steps, done: 18000, total: nil, seconds: 2),
            elapsed: 2.125, width: 80)
        #expect(later == "integrity check / 18,000 steps 9,000 steps/s 0:03")
    }

    @Test func aZeroRateSaysNoTimeLeft() {
        let line = ProgressLine.text(
            for: progress("import sensors", .rows, done: 0, total: 500, seconds: 0), elapsed: 0,
            width: 100)
        #expect(line.hasSuffix("   0% 0/500 rows - rows/s ? left"))
        let stalled = ProgressLine.text(
            for: progress("load", .bytes, done: 0, total: nil, seconds: 3), elapsed: 3,
            width: 100)
        #expect(stalled == "load | 0 B - bytes/s 0:03")
    }

    @Test func hugeNumbersStayShort() {
        let line = ProgressLine.text(
            for: progress(
                "export sensor_history", .rows, done: 4_500_000_000, total: 9_000_000_000,
                seconds: 3000),
            elapsed: 3000, width: 120)
        #expect(line.hasSuffix(" 50% 4.5G/9.0G rows 1.5M rows/s 50:00 left"))
        let forever = ProgressLine.text(
            for: progress(done: 1, total: Int64.max, seconds: 1), elapsed: 1, width: 120)
        #expect(forever.hasSuffix(">99h left"))
        #expect(!forever.contains("nan"))
    }

    @Test func aDoneBeyondTheTotalIsAFullBar() {
        let line = ProgressLine.text(
            for: progress(done: 3000, total: 2048, seconds: 1), elapsed: 1, width: 80)
        #expect(line.contains("[##########"))
        #expect(!line.contains("-]"))
        #expect(line.contains("100%"))
    }

    @Test func narrowTerminalsDropPartsButNeverWrap() {
        let report = progress(
            "export sensor_history", .rows, done: 1234, total: 5000, seconds: 2)
        var seen: [String] = []
        for width in 0...120 {
            let line = ProgressLine.text(for: report, elapsed: 2, width: width)
            #expect(line.count <= max(0, width - 1), "width \(width): \(line)")
            seen.append(line)
        }
        #expect(seen[0] == "")
        #expect(seen[1] == "")
        #expect(seen[10] == "export s…")
        #expect(seen[30] == "export sensor_history")
        #expect(seen[40] == "export sensor_history [##--------]  24%")
        #expect(seen[120].hasSuffix("left"))
        let unknown = progress("integrity check", .steps, done: 99, total: nil, seconds: 1)
        for width in 0...60 {
            let line = ProgressLine.text(for: unknown, elapsed: 1, width: width)
            #expect(line.count <= max(0, width - 1), "width \(width): \(line)")
        }
    }

    @Test func theEventCarriesTheProgressInJSON() throws {
        let event = UpgradeEvent.progress(
            progress("export sensors", .rows, done: 10, total: 20, seconds: 0.5))
        let data = try JSONEncoder().encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["event"] as? String == "progress")
        #expect(object["task"] as? String == "export sensors")
        #expect(object["unit"] as? String == "rows")
        #expect(object["done"] as? Int == 10)
        #expect(object["total"] as? Int == 20)
        #expect(object["finished"] as? Bool == false)
        #expect(object["message"] as? String == "export sensors: 10 rows of 20 rows")
        let unknown = try JSONEncoder().encode(
            UpgradeEvent.progress(progress(done: 1, total: nil, seconds: 1)))
        let open = try #require(try JSONSerialization.jsonObject(with: unknown) as? [String: Any])
        #expect(open["total"] is NSNull)
    }
}

@Suite struct ProgressReporterTests {
    /// The reports a sink received.
    private final class Reports: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [WorkProgress] = []
        var all: [WorkProgress] { lock.withLock { stored } }
        @Sendable func add(_ progress: WorkProgress) { lock.withLock { stored.append(progress) } }
    }

    @Test func shortWorkReportsNothingNotEvenItsEnd() {
        let reports = Reports()
        let reporter = ProgressReporter(
            "quick", unit: .rows, total: 10, checkingClockEvery: 1, sink: reports.add)
        for _ in 0..<10 { reporter.advance() }
        reporter.finish()
        #expect(reports.all.isEmpty)
        #expect(reporter.done == 10)
    }

    @Test func longWorkReportsAtMostTenTimesASecondThenItsEnd() async throws {
        let reports = Reports()
        let reporter = ProgressReporter(
            "slow", unit: .rows, total: nil, checkingClockEvery: 1, sink: reports.add)
        let clock = ContinuousClock()
        let started = clock.now
        var calls = 0
        // Enough calls that some come after the first report's delay, however the machine is loaded.
        while calls < 20_000 || clock.now - started < .milliseconds(700) {
            reporter.advance()
            calls += 1
            if calls % 1000 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        let elapsed = (clock.now - started).inSeconds
        reporter.finish()
        reporter.finish()
        let all = reports.all
        #expect(calls > 1000)
        #expect(all.count >= 2)
        // A first report after the delay, then one per interval at most, then the end.
        #expect(Double(all.count - 1) <= (elapsed - 0.2) / 0.1 + 1)
        #expect(all.first.map { $0.seconds >= 0.2 } == true)
        #expect(all.last?.isFinished == true)
        #expect(all.last?.done == Int64(calls))
        #expect(all.dropLast().allSatisfy { !$0.isFinished })
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.done <= $1.done })
    }

    @Test func withoutAListenerNothingIsCounted() {
        let reporter = ProgressReporter("alone", unit: .pages)
        #expect(!reporter.isReporting)
        reporter.advance(by: 5)
        reporter.finish()
        #expect(reporter.done == 0)
        #expect(!ProgressListener.current.isListening)
    }
}
