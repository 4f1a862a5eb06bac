import Ferry
import Testing

@Suite struct ReleaseRangeTests {
    func contains(_ range: String, _ release: String) throws -> Bool {
        try ReleaseRange(parsing: range).contains(try Release(parsing: release))
    }

    @Test(arguments: [
        // range, releases inside, releases outside
        ("<0.6.4", ["0.6.3", "0.1.0", "0.6.4-beta.1"], ["0.6.4", "0.7.0", "1.0.0"]),
        (">=1.0.0", ["1.0.0", "1.0.1", "2.3.0"], ["0.9.9", "1.0.0-beta.2", "1.0.0-rc.1"]),
        (">0.15.0 <0.18.0", ["0.15.1", "0.17.9", "0.18.0-alpha"], ["0.15.0", "0.18.0", "0.14.0"]),
        (">0.15.0,<0.18.0", ["0.16.0"], ["0.15.0", "0.18.0"]),
        (">0.15.0, <0.18.0", ["0.16.0"], ["0.18.1"]),
        (">= 1.2.0 < 2", ["1.2.0", "1.9.9"], ["2.0.0", "2.0.0-rc.1", "1.1.9"]),
        ("<0.3.0 || >=1.0.0", ["0.2.9", "1.0.0", "3.0.0"], ["0.3.0", "0.9.0"]),
        ("^0.7", ["0.7.0", "0.7.9"], ["0.8.0", "0.8.0-beta.1", "0.6.9", "0.7.0-rc.1"]),
        ("^1.2.3", ["1.2.3", "1.9.0"], ["2.0.0", "1.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4", "0.1.0"]),
        ("~1.2", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        ("0.3.x", ["0.3.0", "0.3.7"], ["0.4.0", "0.4.0-beta.1", "0.2.9"]),
        ("0.3.*", ["0.3.1"], ["0.4.0"]),
        ("0.3", ["0.3.5"], ["0.4.0"]),
        ("1.x", ["1.0.0", "1.5.2"], ["2.0.0", "0.9.0"]),
        ("*", ["0.0.1", "1.0.0-alpha", "99.0.0"], []),
        ("x", ["3.2.1"], []),
        ("=1.0.0-beta.2", ["1.0.0-beta.2"], ["1.0.0-beta.3", "1.0.0"]),
        (
            ">=1.0.0-beta.2 <1.0.0", ["1.0.0-beta.2", "1.0.0-beta.10", "1.0.0-rc.1"],
            ["1.0.0-beta.1", "1.0.0"]
        ),
        ("1.2.3", ["1.2.3", "v1.2.3"], ["1.2.4"]),
        ("<=1.2", ["1.2.9"], ["1.3.0"]),
        (">1.2", ["1.3.0"], ["1.2.9"]),
        ("<1.2", ["1.1.9"], ["1.2.0", "1.2.0-beta"]),
    ])
    func rangesHoldTheRightReleases(range: String, inside: [String], outside: [String]) throws {
        for release in inside { #expect(try contains(range, release), "\(release) in \(range)") }
        for release in outside {
            #expect(try !contains(range, release), "\(release) not in \(range)")
        }
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("   ", "it is empty"),
        (">=", "has no release after it"),
        (">= ", "has no release after it"),
        ("=>1.0.0", "neither a release nor an operator"),
        (">=abc", "neither a release nor an operator"),
        ("1.2.3.4", "neither a release nor an operator"),
        ("1.x.3", "neither a release nor an operator"),
        ("1.2-beta", "neither a release nor an operator"),
        ("^*", "neither a release nor an operator"),
        ("<*", "neither a release nor an operator"),
        ("1.0.0 ||", "an alternative around '||' is empty"),
        (">= <= 1.0.0", "has two operators"),
    ])
    func malformedRangesAreRefusedClearly(text: String, reason: String) throws {
        let error = try #require(throws: FerryError.self) { try ReleaseRange(parsing: text) }
        #expect(error.code == .invalidRange)
        #expect(error.category == .usage)
        #expect(error.message.contains(reason), "\(error.message)")
        #expect(error.advice?.contains("^0.7") == true)
    }

    @Test func keepsTheTextAsWritten() throws {
        #expect(try ReleaseRange(parsing: " >0.15.0, <0.18.0 ").description == ">0.15.0, <0.18.0")
        #expect(ReleaseRange.any.contains(Release(0, 0, 0)))
    }
}
