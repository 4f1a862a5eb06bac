import Ferry
import Foundation

/// The menus of `ferry transfer` on a terminal without arguments: which
/// kind of history, which entity it comes from, which it goes to, each with
/// its row count, read from standard input.
struct TransferWalkThrough {
    let console: Console

    /// How many entities a menu lists; others are chosen by typing their key.
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

    /// An entity, by its number in the menu or its key typed.
    private func entity(_ question: String, _ entities: [(key: String, rows: Int)]) throws
        -> String
    {
        let shown = Array(entities.prefix(Self.listed))
        switch try pick(
            question + (entities.count > shown.count ? " (or type a key)" : ""),
            shown.map { "\($0.key): \($0.rows) rows" }, accepting: Set(entities.map(\.key)))
        {
        case .number(let index): return shown[index].key
        case .typed(let key): return key
        }
    }

    /// A menu's answer.
    private enum Choice {
        /// The option at this index.
        case number(Int)
        /// One of the texts accepted, typed.
        case typed(String)
    }

    /// Shows a menu on standard error and reads a choice: its number, or
    /// one of the texts in `accepting`.
    private func pick(_ question: String, _ options: [String], accepting: Set<String>) throws
        -> Choice
    {
        console.problem(question)
        for (index, option) in options.enumerated() { console.problem("  \(index + 1)) \(option)") }
        console.problem("Choose 1-\(options.count):")
        guard let answer = readLine()?.trimmingCharacters(in: .whitespaces) else {
            throw FerryError(.notConfirmed, "No choice was made.", changes: "Nothing was changed.")
        }
        if let number = Int(answer), (1...max(options.count, 1)).contains(number),
            number <= options.count
        {
            return .number(number - 1)
        }
        if accepting.contains(answer) { return .typed(answer) }
        throw FerryError(
            .invalidTransfer, "'\(answer.prefix(40))' is not one of the choices.",
            changes: "Nothing was changed.",
            advice: "Run 'ferry transfer' again and choose a number.")
    }

    private func pick(_ question: String, _ options: [String]) throws -> Int {
        guard case .number(let index) = try pick(question, options, accepting: []) else { return 0 }
        return index
    }
}
