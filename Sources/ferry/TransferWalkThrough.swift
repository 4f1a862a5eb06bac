import Ferry
import Foundation

/// The menus of `ferry transfer` on a terminal without arguments: which
/// kind of history, which entity it comes from, which it goes to, each with
/// its row count, read from standard input.
struct TransferWalkThrough {
    let console: Console

    /// How many entities a menu lists (most rows first); any key may be typed.
    static let listed = 30

    func choose(
        with ferry: Ferry, condition: String?, mode: TransferRequest.Mode,
        policy: TransferConflictPolicy, deletesEmptySource: Bool
    ) async throws -> TransferRequest {
        let definitions = try await ferry.transferDefinitions()
        guard !definitions.isEmpty else {
            throw FerryError(
                .invalidTransfer,
                "Nothing can be transferred: ferry.toml declares no [[transfer]] and no table has a foreign key.",
                changes: "Nothing was changed.",
                advice:
                    "Declare one in ferry.toml as [[transfer]] (name, table, owner, references).")
        }
        var counted: [(TransferDefinition, [(key: String, rows: Int)])] = []
        for definition in definitions {
            counted.append((definition, try await ferry.transferEntities(of: definition)))
        }
        let kind = try pick(
            "Which kind of history?",
            counted.map { definition, entities in
                "\(definition.name): \(definition.table) by \(definition.references), "
                    + "\(entities.reduce(0) { $0 + $1.rows }) rows"
            })
        let (definition, entities) = counted[kind]
        let from = try entity("Which \(definition.entityTable) does it come from?", entities)
        let to = try entity(
            "Which \(definition.entityTable) does it go to?", entities.filter { $0.key != from })
        return TransferRequest(
            name: definition.name, from: from, to: to, condition: condition, mode: mode,
            policy: policy, deletesEmptySource: deletesEmptySource)
    }

    /// An entity, by its key typed: the menu lists the keys with their rows.
    private func entity(_ question: String, _ entities: [(key: String, rows: Int)]) throws
        -> String
    {
        console.problem(question)
        for entity in entities.prefix(Self.listed) {
            console.problem("  \(entity.key)  (\(entity.rows) row\(entity.rows == 1 ? "" : "s"))")
        }
        if entities.count > Self.listed {
            console.problem("  … and \(entities.count - Self.listed) more")
        }
        console.problem("Type its key:")
        let answer = try line()
        guard entities.contains(where: { $0.key == answer }) else {
            throw FerryError(
                .invalidTransfer, "'\(answer.prefix(40))' is not one of the keys.",
                changes: "Nothing was changed.",
                advice: "Run 'ferry transfer' again and type a key listed.")
        }
        return answer
    }

    /// Shows a numbered menu on standard error and reads the number chosen.
    private func pick(_ question: String, _ options: [String]) throws -> Int {
        console.problem(question)
        for (index, option) in options.enumerated() { console.problem("  \(index + 1)) \(option)") }
        console.problem("Choose 1-\(options.count):")
        let answer = try line()
        guard let number = Int(answer), number >= 1, number <= options.count else {
            throw FerryError(
                .invalidTransfer, "'\(answer.prefix(40))' is not one of the choices.",
                changes: "Nothing was changed.",
                advice: "Run 'ferry transfer' again and choose a number.")
        }
        return number - 1
    }

    /// A line typed, without its blanks.
    private func line() throws -> String {
        guard let answer = readLine() else {
            throw FerryError(.notConfirmed, "No choice was made.", changes: "Nothing was changed.")
        }
        return answer.trimmingCharacters(in: .whitespaces)
    }
}
