import Testing

@testable import FerrySQLite

/// Which `CREATE INDEX` statements the check of a new SQL backup compiles
/// instead of building: only those whose index any rows build.
@Suite struct PlainIndexDefinitionTests {
    @Test(arguments: [
        "CREATE INDEX a ON t (x)",
        "create index a on t(x);",
        "CREATE INDEX IF NOT EXISTS main.a ON t (x, y DESC, z COLLATE NOCASE ASC);",
        "CREATE INDEX \"a \"\"b\"\"\" ON [my table] (`c d`, \"e\")",
        "CREATE  INDEX\n  a\n  ON t (\n  x\n  );",
        "CREATE INDEX ünï ON t (ç)",
    ])
    func plainDefinitions(statement: String) {
        #expect(PlainIndexDefinition.matches(statement))
    }

    @Test(arguments: [
        "CREATE UNIQUE INDEX a ON t (x)",
        "CREATE INDEX a ON t (x) WHERE x > 0",
        "CREATE INDEX a ON t (lower(x))",
        "CREATE INDEX a ON t (x + y)",
        "CREATE INDEX a ON t (json_extract(doc, '$.a'))",
        "CREATE INDEX a ON t ('x')",
        "CREATE INDEX a ON t (x) -- a comment",
        "CREATE INDEX a ON t (x); DROP TABLE t",
        "CREATE INDEX a ON t (x",
        "CREATE INDEX a ON t ()",
        "CREATE INDEX a ON t (\"x)",
        "CREATE TABLE a (x)",
        "CREATE INDEX IF EXISTS a ON t (x)",
        "CREATE INDEX a ON t (x COLLATE)",
        "CREATE INDEX a ON t (1)",
    ])
    func definitionsThatCanRefuseARowOrAreNotRecognised(statement: String) {
        #expect(!PlainIndexDefinition.matches(statement))
    }
}
