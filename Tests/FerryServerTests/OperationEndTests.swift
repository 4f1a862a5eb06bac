import Ferry
import Foundation
import Testing

@testable import FerryServer

/// Every operation's log ends in its end event, whatever way its work stops:
/// returns, throws one of Ferry's errors, throws another error, or its task
/// is cancelled (the server stopping).
@Suite("Operation logs always end")
struct OperationEndTests {
    /// The decoded `data:` of every frame of a finished log.
    func frames(_ log: OperationLog) async throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        for await frame in log.follow() {
            let data = frame.split(separator: "\n").filter { $0.hasPrefix("data: ") }
                .map { $0.dropFirst(6) }.joined(separator: "\n")
            let object = try JSONSerialization.jsonObject(with: Data(data.utf8))
            all.append(try #require(object as? [String: Any]))
        }
        return all
    }

    func center() -> OperationCenter {
        let encoder = FerryAdmin.encoder(wording: .library)
        return OperationCenter(encode: { value in
            String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
        })
    }

    @Test("A work that throws an error that is not Ferry's ends in END … ERROR, code unexpected")
    func unexpectedError() async throws {
        struct Boom: Error {}
        let operations = center()
        let operation = try await operations.start(.backup) { emit in
            emit(.upToDate(try Release(parsing: "1.0.0")))
            throw Boom()
        }
        let log = try #require(await operations.find(operation.id)?.log)
        let all = try await frames(log)
        #expect(all.first?["event"] as? String == "upToDate")
        let result = try #require(all.dropLast().last)
        #expect(result["command"] as? String == "backup")
        #expect((result["error"] as? [String: Any])?["code"] as? String == "unexpected")
        #expect(all.last?["marker"] as? String == "[END BACKUP ERROR]")
        #expect(await operations.current == nil)
    }

    @Test("A cancelled operation (the server stopping) ends in END … ERROR, code interrupted")
    func cancelled() async throws {
        let operations = center()
        let operation = try await operations.start(.upgrade) { _ in
            try await Task.sleep(for: .seconds(600))
            return ["command": "upgrade"]
        }
        let log = try #require(await operations.find(operation.id)?.log)
        #expect(!log.hasEnded)
        // A client following from before the end sees the end too.
        async let followed = frames(log)
        await operations.cancelAll()
        let all = try await followed
        #expect(
            (all.dropLast().last?["error"] as? [String: Any])?["code"] as? String == "interrupted")
        #expect(all.last?["event"] as? String == "end")
        #expect(all.last?["ok"] as? Bool == false)
        #expect(all.last?["marker"] as? String == "[END UPGRADE ERROR]")
        // A client that connects after the end reads the same log, end included.
        #expect(try await frames(log).count == all.count)
    }
}
