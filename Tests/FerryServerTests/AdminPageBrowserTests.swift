import Ferry
import FerryTestSupport
import Foundation
import Testing

/// The page in a real browser: headless Chromium loads it from the real
/// `ferry serve`, clicks its buttons and reads its DOM, and saves
/// screenshots under `.build/` for a person to look at.
@Suite(
    "Admin page in Chromium", .serialized,
    .enabled(if: HeadlessChromium.binary != nil, "chromium is not installed"))
struct AdminPageBrowserTests {
    static let screenshots = ExampleApplication.repositoryRoot.appendingPathComponent(".build")

    @Test(
        "A rehearsal started from the page ends on the green banner; the page shows the plan and preflight"
    )
    func rehearsalEndsGreen() async throws {
        try await withExample(at: "0.3.0") { scenario in
            let before = try await scenario.snapshot()
            let pending = try await scenario.ferry.plan().pending.map(\.id)
            let server = try await ServedFerry(
                ["--database", scenario.path, "--migrations", scenario.migrations.path],
                in: scenario.folder.url, environment: ["FERRY_SERVER_TOKEN": testToken])
            defer { Task { _ = await server.stop() } }
            let browser = try HeadlessChromium(opening: server.url + "#token=\(testToken)")
            try await browser.waitUntil(
                "document.querySelectorAll('#preflight tbody tr').length > 0")
            try await browser.waitUntil("document.querySelectorAll('#plan li').length > 0")
            #expect(
                try browser.evaluate("document.getElementById('health').textContent") as? String
                    == "warn")
            #expect(
                try browser.evaluate("document.getElementById('database').textContent") as? String
                    == "0.3.0")
            let planned =
                try browser.evaluate(
                    "[...document.querySelectorAll('#plan li')].map(e => e.textContent)")
                as? [String]
            #expect(planned == pending)
            // The token left the address bar once read.
            #expect(try browser.evaluate("location.hash") as? String == "")

            try browser.evaluate("document.getElementById('rehearse').click()")
            try await browser.waitUntil(
                "document.getElementById('banner').className === 'success'", timeout: 120)
            let banner =
                try browser.evaluate("document.getElementById('banner').textContent") as? String
            #expect(banner == "[END REHEARSAL SUCCESS]")
            let log =
                try browser.evaluate("document.getElementById('log').textContent") as? String ?? ""
            #expect(log.contains("[END REHEARSAL SUCCESS]"))
            #expect(log.contains(pending.last ?? "?"))
            let statuses =
                try browser.evaluate(
                    "[...document.querySelectorAll('#preflight tbody tr')].map(r => r.dataset.status)"
                )
                as? [String] ?? []
            #expect(
                !statuses.isEmpty
                    && statuses.allSatisfy { ["ok", "warning", "notice"].contains($0) })
            try browser.screenshot(
                to: Self.screenshots.appendingPathComponent("ferry-admin-rehearsal.png"))

            // On a phone's width the page is one column.
            try browser.call(
                "Emulation.setDeviceMetricsOverride",
                ["width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true])
            try await browser.waitUntil(
                "getComputedStyle(document.querySelector('main')).gridTemplateColumns.split(' ').length === 1"
            )
            try browser.screenshot(
                to: Self.screenshots.appendingPathComponent("ferry-admin-phone.png"))
            // A rehearsal works on a copy.
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test("An upgrade that fails ends on the red banner with the error's advice; nothing is lost")
    func failingUpgradeEndsRed() async throws {
        try await withExample(at: "0.3.0") { scenario in
            try scenario.write("0.5.0/004_broken.sql", "INSERT INTO no_such_table VALUES (1);")
            let before = try await scenario.snapshot()
            let server = try await ServedFerry(
                ["--database", scenario.path, "--migrations", scenario.migrations.path],
                in: scenario.folder.url, environment: ["FERRY_SERVER_TOKEN": testToken])
            defer { Task { _ = await server.stop() } }
            let browser = try HeadlessChromium(opening: server.url + "#token=\(testToken)")
            try await browser.waitUntil("document.querySelectorAll('#plan li').length > 0")
            // Without the typed word the server refuses, and the page says what to type.
            try browser.evaluate("document.getElementById('upgrade').click()")
            try await browser.waitUntil("document.getElementById('banner').className === 'error'")
            let unconfirmed =
                try browser.evaluate("document.getElementById('banner').textContent") as? String
                ?? ""
            #expect(unconfirmed.contains("confirmation"))

            try browser.evaluate(
                "document.getElementById('upgrade-confirm').value = 'upgrade'; document.getElementById('upgrade').click()"
            )
            try await browser.waitUntil(
                "document.getElementById('banner').className === 'error' && "
                    + "document.getElementById('banner').textContent.includes('[END UPGRADE ERROR]')",
                timeout: 120)
            let advice =
                try browser.evaluate(
                    "document.querySelector('#banner .advice') && document.querySelector('#banner .advice').textContent"
                )
                as? String
            #expect(advice?.isEmpty == false, "the error's advice is shown")
            let log =
                try browser.evaluate("document.getElementById('log').textContent") as? String ?? ""
            #expect(log.contains("Error: "))
            #expect(log.hasSuffix("[END UPGRADE ERROR]\n"))
            try browser.screenshot(
                to: Self.screenshots.appendingPathComponent("ferry-admin-failed-upgrade.png"))
            #expect(try await scenario.snapshot() == before)
        }
    }

    @Test(
        "A backup made from the page is listed; restoring it needs the typed word, then ends green")
    func backupAndRestoreFromThePage() async throws {
        try await withExample(at: ExampleApplication.newestRelease) { scenario in
            let history = "SELECT count(*) FROM sensor_history"
            let rows = try await scenario.database.scalar(history)
            #expect(rows != "0")
            let server = try await ServedFerry(
                ["--database", scenario.path, "--migrations", scenario.migrations.path],
                in: scenario.folder.url, environment: ["FERRY_SERVER_TOKEN": testToken])
            defer { Task { _ = await server.stop() } }
            let browser = try HeadlessChromium(opening: server.url + "#token=\(testToken)")
            try await browser.waitUntil("document.querySelectorAll('#backups tbody tr').length > 0")
            try browser.evaluate("document.getElementById('backup').click()")
            try await browser.waitUntil(
                "document.getElementById('banner').textContent === '[END BACKUP SUCCESS]'")
            try await browser.waitUntil(
                "document.querySelectorAll('#backups button.restore').length === 1")
            let listed =
                try browser.evaluate(
                    "document.querySelector('#backups tbody td').textContent") as? String
            let backup = try #require(try scenario.ferry.backups().first)
            #expect(listed == backup.name)

            // The application writes after the backup; a restore takes the database back.
            // (The page's refresh after the backup may still be reading: retry as an application would.)
            for attempt in 1...50 {
                do {
                    try await scenario.database.load("DELETE FROM sensor_history;")
                    break
                } catch  where attempt < 50 {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(try await scenario.database.scalar(history) == "0")
            try browser.evaluate("document.querySelector('#backups button.restore').click()")
            try await browser.waitUntil("document.getElementById('banner').className === 'error'")
            #expect(
                (try browser.evaluate("document.getElementById('banner').textContent") as? String)?
                    .contains("Type restore") == true)
            try browser.evaluate(
                "document.getElementById('restore-confirm').value = 'restore'; "
                    + "document.querySelector('#backups button.restore').click()")
            try await browser.waitUntil(
                "document.getElementById('banner').textContent === '[END RESTORE SUCCESS]'",
                timeout: 120)
            // The chart shows the upgrade of the example and the backups made (the manual one and the
            // pre-restore one), each a bar.
            try await browser.waitUntil(
                "document.querySelectorAll('#chart rect.backup').length === 2")
            #expect(
                try browser.evaluate("document.querySelectorAll('#chart rect.upgrade').length")
                    as? Int == 1)
            try browser.screenshot(
                to: Self.screenshots.appendingPathComponent("ferry-admin-restored.png"))
            #expect(try await scenario.database.scalar(history) == rows)
        }
    }
}
