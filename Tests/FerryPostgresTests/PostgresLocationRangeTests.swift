import Ferry
import FerryPostgres
import Testing

/// Numbers in a PostgreSQL URL or its environment are range-checked: a
/// usage error, never an overflow when they become milliseconds.
@Suite struct PostgresLocationRangeTests {
    @Test func aConnectTimeoutOutOfRangeIsAUsageError() throws {
        for (url, environment) in [
            ("postgres://app@db/sensorhub?connect_timeout=99999999999999999", [String: String]()),
            ("postgres://app@db/sensorhub", ["PGCONNECT_TIMEOUT": "9223372036854775807"]),
            ("postgres://app@db/sensorhub?connect_timeout=-1", [:]),
        ] {
            let error = try #require(throws: FerryError.self, "\(url) \(environment)") {
                try PostgresLocation(url: url, environment: environment)
            }
            #expect(error.category == .usage)
            #expect(error.message.contains("is not a whole number of seconds from 0 to 31536000"))
        }
        let largest = try PostgresLocation(
            url: "postgres://app@db/sensorhub?connect_timeout=31536000", environment: [:])
        #expect(largest.connectTimeout == .seconds(31_536_000))
    }
}
