import Foundation
import Testing

@testable import Ferry

struct ConcurrentMapTests {
    /// Below and above the size where the work is shared between threads, every element is
    /// transformed once and the results keep the collection's order.
    @Test(arguments: [0, 1, 31, 32, 1_000, 20_000])
    func everyElementOnceInOrder(count: Int) {
        let calls = Locked(0)
        let squares = (0..<count).concurrentMap { number in
            calls.withLock { $0 += 1 }
            return number * number
        }
        #expect(squares == (0..<count).map { $0 * $0 })
        #expect(calls.value == count)
    }

    /// Failures come back as values in the collection's order, so the first one said is the
    /// first element's, whichever thread met it first.
    @Test func theFirstFailureInOrderIsTheOneSaid() {
        struct Failure: Error, Equatable { let number: Int }
        let results = (0..<500).concurrentMap { number in
            number % 100 == 37
                ? Result<Int, Failure>.failure(Failure(number: number)) : .success(number)
        }
        let firstFailure = results.lazy.compactMap { result -> Failure? in
            if case .failure(let failure) = result { failure } else { nil }
        }.first
        #expect(firstFailure == Failure(number: 37))
        #expect(results.filter { (try? $0.get()) == nil }.count == 5)
    }
}
