import Testing

@testable import Ferry

/// A transfer's condition stays inside the parenthesis it is pasted into,
/// read as each engine reads quotes and comments.
@Suite struct TransferConditionTests {
    @Test(arguments: [false, true])
    func oneConditionIsAccepted(postgres: Bool) {
        for condition in [
            "taken_at >= '2024-01-01'",
            "taken_at > '2024-01-01' OR value > 3",
            "(a = 1 OR b = 2) AND c IN (1, 2, (3))",
            "note = 'it''s (not) closed )'",
            "\"odd ) name\" = 1",
            "value > 3 -- the big ones )",
            "value > 3 /* ) */",
            "name LIKE '%;%'",
        ] {
            #expect(
                TransferCondition.fault(of: condition, quoting: postgres ? .postgres : .sqlite)
                    == nil, "\(condition)")
        }
    }

    @Test(arguments: [false, true])
    func aConditionThatLeavesItsParenthesisIsRefused(postgres: Bool) {
        for condition in [
            "1=1) OR (1=1",
            ") OR (",
            "(1=1",
            "a = 1; DELETE FROM t",
            "note = 'open",
            "\"open = 1",
            "value > 3 /* open",
            "1=1) OR (1=1 --",
        ] {
            #expect(
                TransferCondition.fault(of: condition, quoting: postgres ? .postgres : .sqlite)
                    != nil, "\(condition)")
        }
    }

    /// Where the engines read a text differently, each is read as its engine reads it.
    @Test func eachEngineReadsItsOwnQuotes() {
        // SQLite's identifiers in brackets and backticks; PostgreSQL has neither.
        #expect(TransferCondition.fault(of: "[a)b] = 1", quoting: .sqlite) == nil)
        #expect(TransferCondition.fault(of: "[a)b] = 1", quoting: .postgres) != nil)
        #expect(TransferCondition.fault(of: "`a)b` = 1", quoting: .sqlite) == nil)
        // PostgreSQL's E'' takes backslashes: the quote after one does not close it.
        #expect(TransferCondition.fault(of: "a = E'\\')' ", quoting: .postgres) == nil)
        #expect(TransferCondition.fault(of: "a = E'\\'' ) OR (1=1 --'", quoting: .postgres) != nil)
        // Dollar quotes in PostgreSQL; in SQLite a `$name` is a parameter, no quote.
        #expect(TransferCondition.fault(of: "a = $q$ ) $q$", quoting: .postgres) == nil)
        #expect(TransferCondition.fault(of: "a = $q$ ) $q$", quoting: .sqlite) != nil)
        #expect(TransferCondition.fault(of: "$a$ ) OR (1=1 OR $a$", quoting: .sqlite) != nil)
        // PostgreSQL's comments nest; SQLite's end at the first `*/`.
        #expect(TransferCondition.fault(of: "1 /* /* */ ) OR (1=1 /* */", quoting: .sqlite) != nil)
        #expect(TransferCondition.fault(of: "1 /* /* */ ) */ = 1", quoting: .postgres) == nil)
    }
}
