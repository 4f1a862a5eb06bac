import FerryPostgres
import Testing

/// The PostgreSQL script splitter: pure code, so every case is checked here
/// without a server; the engine tests then run scripts on a real one.
@Suite struct PostgresScriptSplitterTests {
    func texts(_ script: String) throws -> [String] {
        try PostgresScriptSplitter.split(script).map(\.text)
    }

    func problem(_ script: String) -> PostgresScriptSplitter.Problem? {
        do {
            _ = try PostgresScriptSplitter.split(script)
            return nil
        } catch {
            return error
        }
    }

    @Test func splitsOnSemicolonsAndKeepsLines() throws {
        let statements = try PostgresScriptSplitter.split(
            """
            -- header
            CREATE TABLE a (id int);

            INSERT INTO a VALUES (1);  INSERT INTO a
              VALUES (2)
            """)
        #expect(
            statements == [
                PostgresStatement(text: "CREATE TABLE a (id int)", line: 2),
                PostgresStatement(text: "INSERT INTO a VALUES (1)", line: 4),
                PostgresStatement(text: "INSERT INTO a\n  VALUES (2)", line: 4),
            ])
    }

    @Test func leavesOutEmptyStatementsAndComments() throws {
        #expect(try texts(";;\n  ;\n-- only a comment;\n/* and ; this */\n").isEmpty)
        #expect(try texts("").isEmpty)
        #expect(try texts("SELECT 1;;SELECT 2") == ["SELECT 1", "SELECT 2"])
    }

    @Test func standardStringsDoubleTheirQuotes() throws {
        #expect(
            try texts("SELECT 'a;b', 'it''s; fine'; SELECT 2") == [
                "SELECT 'a;b', 'it''s; fine'", "SELECT 2",
            ])
        // In a standard string a backslash is an ordinary character.
        #expect(try texts(#"SELECT 'C:\'; SELECT 2"#) == [#"SELECT 'C:\'"#, "SELECT 2"])
        #expect(try texts("SELECT '';SELECT ''''") == ["SELECT ''", "SELECT ''''"])
    }

    @Test func escapeStringsTakeBackslashes() throws {
        #expect(
            try texts(#"SELECT E'it\'s; here'; SELECT 2"#) == [
                #"SELECT E'it\'s; here'"#, "SELECT 2",
            ])
        #expect(try texts(#"SELECT e'a\\'; SELECT 2"#) == [#"SELECT e'a\\'"#, "SELECT 2"])
        #expect(try texts(#"SELECT E'x''y\n;'; SELECT 2"#).count == 2)
        // An identifier ending in e is not an escape string's prefix.
        #expect(try texts(#"SELECT some'\'; SELECT 2"#) == [#"SELECT some'\'"#, "SELECT 2"])
    }

    @Test func otherStringPrefixesAreStandardStrings() throws {
        #expect(try texts("SELECT U&'d\\0061t;a', B'10;', X'1F;'; SELECT 2").count == 2)
    }

    @Test func quotedIdentifiersMayHoldSemicolonsAndQuotes() throws {
        #expect(
            try texts(#"CREATE TABLE "a;b" ("say ""hi"";" int); SELECT 2"#)
                == [#"CREATE TABLE "a;b" ("say ""hi"";" int)"#, "SELECT 2"])
    }

    @Test func dollarQuotedBodiesKeepTheirSemicolons() throws {
        let function = """
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              UPDATE t SET x = 1; -- a comment; with a semicolon
              RETURN NEW;
            END;
            $$;
            CREATE TRIGGER t AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();
            """
        let statements = try PostgresScriptSplitter.split(function)
        #expect(statements.count == 2)
        #expect(statements[0].text.hasSuffix("$$"))
        #expect(statements[1].line == 7)
    }

    @Test func taggedDollarQuotesNestOtherTags() throws {
        let script = """
            DO $outer$
            BEGIN
              EXECUTE $inner$ SELECT 'a;b'; $inner$;
              RAISE NOTICE '$$ is not the end; $outer is not either';
            END
            $outer$;
            SELECT $tag_1$;$tag_1$, $é$;$é$;
            """
        let statements = try texts(script)
        #expect(statements.count == 2)
        #expect(statements[1] == "SELECT $tag_1$;$tag_1$, $é$;$é$")
    }

    @Test func dollarSignsThatAreNotQuotes() throws {
        // Positional parameters and identifiers with $ are not quotes.
        #expect(
            try texts("PREPARE p AS SELECT $1; SELECT a$b$ FROM t; SELECT 3") == [
                "PREPARE p AS SELECT $1", "SELECT a$b$ FROM t", "SELECT 3",
            ])
    }

    @Test func blockCommentsNest() throws {
        let script = """
            /* outer /* inner; */ still a comment; */ SELECT 1;
            SELECT /* ; */ 2;
            """
        #expect(try texts(script) == ["SELECT 1", "SELECT /* ; */ 2"])
        let statements = try PostgresScriptSplitter.split("/* a\n/* b\n*/\n*/\nSELECT 1")
        #expect(statements.first?.line == 5)
    }

    @Test func lineCommentsEndAtTheLineEnd() throws {
        #expect(
            try texts("SELECT 1 -- ; not the end\n, 2; SELECT 3") == [
                "SELECT 1 -- ; not the end\n, 2", "SELECT 3",
            ])
        #expect(try texts("SELECT 1 - -2; SELECT 3") == ["SELECT 1 - -2", "SELECT 3"])
    }

    @Test func sqlFunctionBodiesWithBeginAtomic() throws {
        let script = """
            CREATE OR REPLACE FUNCTION add_one(x int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT CASE WHEN x > 0 THEN x + 1 ELSE 0 END;
              SELECT x + 1;
            END;
            CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;
            BEGIN;
            SELECT 1;
            COMMIT;
            """
        let statements = try texts(script)
        #expect(statements.count == 5)
        #expect(statements[0].hasSuffix("END"))
        #expect(statements[1] == "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END")
        #expect(statements[2...] == ["BEGIN", "SELECT 1", "COMMIT"])
    }

    @Test func countsLinesInsideStringsAndComments() throws {
        let script =
            "SELECT 'a\nb';\n/* x\ny */\nSELECT $$\n\n$$;\nSELECT E'\\\n';\nSELECT \"a\nb\";\nSELECT 5"
        #expect(try PostgresScriptSplitter.split(script).map(\.line) == [1, 5, 8, 10, 12])
    }

    @Test func handlesWindowsLineEndsAndUnicode() throws {
        let statements = try PostgresScriptSplitter.split(
            "SELECT 'Küche';\r\n-- °C\r\nSELECT 'CO₂'")
        #expect(statements.map(\.text) == ["SELECT 'Küche'", "SELECT 'CO₂'"])
        #expect(statements.map(\.line) == [1, 3])
    }

    @Test func refusesCopyFromStdin() throws {
        let found = problem(
            """
            CREATE TABLE t (a int);
            copy t (a)
              from stdin;
            1
            \\.
            """)
        #expect(found?.line == 2)
        #expect(found?.message.contains("COPY … FROM STDIN") == true)
        #expect(found?.advice.contains("INSERT") == true)
        // COPY from a file the server reads, and the words in a string, are fine.
        #expect(try texts("COPY t FROM '/tmp/x.csv'; SELECT 'copy t from stdin'").count == 2)
    }

    @Test func refusesPsqlMetaCommands() {
        let found = problem("SELECT 1;\n\\connect other\nSELECT 2;")
        #expect(found?.line == 2)
        #expect(found?.message.contains("\\connect other") == true)
    }

    @Test func refusesUnterminatedQuotesAndComments() {
        #expect(problem("SELECT 1;\nSELECT 'oops;\nSELECT 2;")?.line == 2)
        #expect(problem("SELECT E'\\';")?.message.contains("escape string") == true)
        #expect(problem("SELECT \"oops")?.message.contains("quoted identifier") == true)
        #expect(problem("DO $x$ BEGIN END $y$;")?.message.contains("$x$") == true)
        let comment = problem("SELECT 1; /* a /* b */ still open")
        #expect(comment?.message.contains("/* comment") == true)
        #expect(comment?.advice.contains("nest") == true)
    }
}
