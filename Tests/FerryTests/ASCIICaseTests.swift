import Ferry
import Testing

@Suite struct ASCIICaseTests {
    @Test func findsAWordWhateverTheCaseOfItsASCIILetters() {
        let script =
            "-- a migration\nPRAGMA Writable_Schema = ON;\nUPDATE sqlite_schema SET sql = 'é';"
        #expect(script.containsIgnoringASCIICase("writable_schema"))
        #expect(script.containsIgnoringASCIICase("WRITABLE_SCHEMA"))
        #expect(script.containsIgnoringASCIICase("'é'"))
        #expect(!script.containsIgnoringASCIICase("ignore_check_constraints"))
        // A near miss at the very end, and a word longer than the text.
        #expect(!"pragma writable_schem".containsIgnoringASCIICase("writable_schema"))
        #expect(!"ab".containsIgnoringASCIICase("abc"))
        #expect("pragma ignore_check_constraints".containsIgnoringASCIICase("CONSTRAINTS"))
        #expect("".containsIgnoringASCIICase(""))
        // Only ASCII letters fold: a word is not found by a letter that merely looks like one.
        #expect(!"PRAGMA İGNORE".containsIgnoringASCIICase("ignore"))
        #expect(
            "x".dropFirst().containsIgnoringASCIICase("")
                && !"xy".dropFirst().containsIgnoringASCIICase("x"))
    }
}
