import Ferry
import Testing

@Suite struct SQLScriptTests {
    @Test func findsLinesAndStatementStarts() {
        let script = SQLScript(text: "-- header\r\n/* block\ncomment */ ;\n\n  SELECT 1;\n")
        let start = script.statementStart(from: script.text.startIndex)
        #expect(script.text[start...].hasPrefix("SELECT 1"))
        #expect(script.line(at: start) == 5)
    }

    @Test func readsOptionsOnlyFromTheLeadingComments() {
        #expect(
            SQLScript(text: "\n-- ferry:no-transaction\r\n-- note\nSELECT 1;").headerOptions == [
                "no-transaction"
            ])
        #expect(SQLScript(text: "SELECT 1;\n-- ferry:no-transaction").headerOptions.isEmpty)
    }
}
