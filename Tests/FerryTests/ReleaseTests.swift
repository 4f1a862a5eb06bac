import Ferry
import Testing

@Suite struct ReleaseTests {
    @Test func parsesVersions() throws {
        #expect(try Release(parsing: "0.7.0") == Release(0, 7, 0))
        #expect(try Release(parsing: "v1.2.3") == Release(1, 2, 3))
        #expect(try Release(parsing: "1.2") == Release(1, 2, 0))
        #expect(try Release(parsing: "1.0.0-beta.2").prerelease == ["beta", "2"])
        #expect(try Release(parsing: "1.0.0+build.5").build == "build.5")
        #expect(try Release(parsing: "1.0.0-rc.1+sha.abc").description == "1.0.0-rc.1+sha.abc")
    }

    @Test(arguments: [
        "", "1.", "a.b.c", "1.2.3.4", "1.2.x", "1.0.0-", "1.0.0-beta..1", "-1.0.0", "1.0.0+",
    ])
    func rejectsMalformedVersions(_ text: String) {
        #expect(Release(text) == nil)
        #expect(throws: FerryError.self) { try Release(parsing: text) }
    }

    @Test func ordersNumericallyNotAsText() throws {
        let texts = ["0.10.0", "0.9.0", "0.2.1", "1.0.0", "0.15.0", "0.2.0"]
        let sorted = try texts.map(Release.init(parsing:)).sorted().map(\.description)
        #expect(sorted == ["0.2.0", "0.2.1", "0.9.0", "0.10.0", "0.15.0", "1.0.0"])
    }

    @Test func ordersPrereleasesAsSemverSays() throws {
        // The order given in the Semantic Versioning 2.0 specification, item 11.
        let texts = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
        ]
        let releases = try texts.map(Release.init(parsing:))
        #expect(releases.shuffled().sorted() == releases)
        #expect(try Release(parsing: "1.0.0+a") == Release(parsing: "1.0.0+b"))
    }
}
