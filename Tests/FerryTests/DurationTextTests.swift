import Ferry
import Foundation
import Testing

@Suite struct DurationTextTests {
    @Test func writesSecondsAsPrintfWould() {
        for seconds in [0, 0.0004, 0.0016, 0.004, 0.0996, 0.1, 0.25, 1.25, 2.04, 59.94, 59.96] {
            let expected =
                seconds < 0.1
                ? String(format: "%.3f s", seconds) : String(format: "%.1f s", seconds)
            #expect(Duration.text(seconds: seconds) == expected, "\(seconds)")
        }
        #expect(Duration.text(seconds: 125) == "2 min 5 s")
        #expect(Duration.text(seconds: 60) == "1 min")
    }
}
