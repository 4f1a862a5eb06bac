import ArgumentParser
import Ferry
import Foundation

struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract:
            "Move (or copy) one entity's history to another, previewed, confirmed, backed up.",
        discussion: """
            What can be transferred is declared in ferry.toml ([[transfer]]) or found from the foreign \
            keys. The preview shows the rows, their span, the first and last of them, the target's rows \
            in that span and the conflicts; on a terminal you type YES I AM SURE, in scripts pass --yes. \
            A pre-transfer backup is taken, then every row moves in one transaction, or none. On a \
            terminal without arguments, menus walk you through the choices.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(
        help:
            "The transfer's name ([[transfer]] name, or table.column when found from a foreign key)."
    )
    var name: String?

    @Option(name: .long, help: ArgumentHelp("The source entity's key.", valueName: "id"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("The target entity's key.", valueName: "id"))
    var to: String?

    @Option(
        name: .customLong("where"),
        help: ArgumentHelp(
            "Transfer only the rows that match this SQL condition.", valueName: "sql"))
    var condition: String?

    @Flag(name: .long, help: "Copy the rows (new keys) instead of moving them.")
    var copy = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "refuse (default: any conflict refuses the transfer), skip (leave conflicting rows with the "
                + "source) or replace (delete the target's conflicting rows first).",
            valueName: "policy"))
    var onConflict: TransferConflictPolicy = .refuse

    @Flag(name: .long, help: "Delete the source entity when nothing references it afterwards.")
    var deleteEmptySource = false

    @Flag(name: .long, help: "Show the preview and stop: nothing is changed.")
    var preview = false

    @Flag(name: .long, help: "Skip the pre-transfer backup (when you have just made one).")
    var noBackup = false

    @Flag(name: .long, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    @Flag(name: .long, help: "List the transfers recorded in the database.")
    var list = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Undo a transfer (its id, from --list) while its rows are unchanged.", valueName: "id"))
    var undo: Int?

    /// What the user types to confirm a transfer on a terminal.
    static let confirmation = "YES I AM SURE"

    struct Result: Encodable {
        let command = "transfer"
        let ok = true
        let error: FerryError? = nil
        var preview: TransferPreview? = nil
        var transfer: TransferReport? = nil
        var transfers: [TransferRecord]? = nil
    }

    func validate() throws {
        if list && (undo != nil || name != nil) {
            throw ValidationError("--list takes no transfer name and no --undo.")
        }
        if undo != nil && name != nil {
            throw ValidationError("--undo takes the transfer's id only, not a name.")
        }
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("transfer", readsOnly: list || preview) {
            let ferry = Ferry(try common.configuration(try common.settings(), console: console))
            if list { return try await showList(ferry, console) }
            if let undo { return try await undoTransfer(undo, ferry, console) }
            let request: TransferRequest
            if let name, let from, let to {
                request = TransferRequest(
                    name: name, from: from, to: to, condition: condition,
                    mode: copy ? .copy : .move, policy: onConflict,
                    deletesEmptySource: deleteEmptySource)
            } else if name == nil, from == nil, to == nil, !console.isJSON,
                isatty(STDIN_FILENO) == 1
            {
                request = try await TransferWalkThrough(console: console).choose(
                    with: ferry, condition: condition, mode: copy ? .copy : .move,
                    policy: onConflict, deletesEmptySource: deleteEmptySource)
            } else {
                throw FerryError(
                    .invalidTransfer, "A transfer needs its name, --from and --to.",
                    changes: "Nothing was changed.",
                    advice:
                        "Run 'ferry transfer NAME --from ID --to ID', or 'ferry transfer' on a terminal to choose them from menus."
                )
            }
            var shown = try await ferry.transferPreview(request)
            // What the transfer will take, unless --no-backup says otherwise.
            if !noBackup { shown.alsoChanges.insert("a pre-transfer backup", at: 0) }
            if !console.isJSON { Self.show(shown, console) }
            if preview {
                if console.isJSON { console.json(Result(preview: shown)) }
                return
            }
            // A refusal or a transfer done before needs no confirmation: nothing will change.
            let changesSomething =
                shown.doneBy == nil && !shown.isRefusedByConflicts
                && (shown.rows > 0 || shown.deletesSource)
            if changesSomething {
                try console.confirm(
                    "\(shown.request.mode == .move ? "Move" : "Copy") \(shown.rows) rows of \(shown.definition.table) from \(shown.definition.entityTable) \(request.from) to \(request.to)?",
                    typing: Self.confirmation, yes: yes)
            }
            let report = try await ferry.transfer(
                request, expecting: shown, takingBackup: !noBackup,
                onEvent: console.onEvent)
            if console.isJSON { return console.json(Result(preview: shown, transfer: report)) }
            let record = report.transfer
            switch report.outcome {
            case .alreadyDone:
                console.line(
                    "Transfer \(record.id) did this already (\(record.rows) rows, \(Timestamp.string(from: record.at))): nothing was changed."
                )
            default:
                console.line(
                    "\(record.mode == .move ? "Moved" : "Copied") \(record.rows) rows of \(record.table) from \(record.from) to \(record.to) in one transaction"
                        + (record.replaced > 0
                            ? ", after deleting \(record.replaced) of the target's" : "")
                        + (record.deletedSource ? "; the source was deleted" : "") + ".")
                if let backup = report.backup { console.line("Pre-transfer backup: \(backup)") }
                console.line(
                    "Recorded as transfer \(record.id); undo with 'ferry transfer --undo \(record.id)' while its rows are unchanged."
                )
            }
        }
    }

    private func showList(_ ferry: Ferry, _ console: Console) async throws {
        let records = try await ferry.transfers()
        if console.isJSON { return console.json(Result(transfers: records)) }
        if records.isEmpty { return console.line("No transfer is recorded.") }
        for record in records {
            console.line(
                "\(record.id)  \(Timestamp.string(from: record.at))  '\(record.name)' \(record.mode.rawValue) "
                    + "\(record.rows) rows of \(record.table) from \(record.from) to \(record.to)"
                    + (record.condition.map { " where \($0)" } ?? "")
                    + " (policy \(record.policy.rawValue)) by \(record.by)"
                    + (record.undoneAt.map { ", undone \(Timestamp.string(from: $0))" } ?? ""))
        }
    }

    private func undoTransfer(_ id: Int, _ ferry: Ferry, _ console: Console) async throws {
        try console.confirm(
            "Undo transfer \(id): give its rows back to their source?", typing: Self.confirmation,
            yes: yes)
        let report = try await ferry.undoTransfer(
            id: id, onEvent: console.onEvent)
        if console.isJSON { return console.json(Result(transfer: report)) }
        let record = report.transfer
        if report.outcome == .alreadyUndone {
            return console.line("Transfer \(id) was undone before: nothing was changed.")
        }
        console.line(
            "Undid transfer \(id): \(record.rows) rows of \(record.table) "
                + (record.mode == .move
                    ? "are back with \(record.from)." : "copied to \(record.to) deleted."))
        if let backup = report.backup { console.line("Pre-undo backup: \(backup)") }
    }

    /// The preview, for people.
    static func show(_ preview: TransferPreview, _ console: Console) {
        let definition = preview.definition
        let request = preview.request
        console.line(
            "Transfer '\(definition.name)' (\(definition.foundBy)): rows of \(definition.table) from "
                + "\(definition.entityTable) \(request.from) to \(request.to), "
                + (request.mode == .move ? "moved" : "copied")
                + (request.condition.map { ", where \($0)" } ?? ""))
        if let done = preview.doneBy {
            console.line("  transfer \(done) did this already: nothing is left to do.")
        }
        console.line(
            "  rows: \(preview.rows) of \(preview.matching) matching"
                + (definition.unique.isEmpty
                    ? " (no unique columns declared: no conflict is detected)"
                    : ", \(preview.conflicts) conflict\(preview.conflicts == 1 ? "" : "s") by \(definition.unique.joined(separator: ", ")) (policy \(request.policy.rawValue))")
        )
        if let first = preview.firstAt, let last = preview.lastAt {
            console.line("  span (\(definition.order ?? "")): \(first) … \(last)")
        }
        func rows(_ title: String, _ rows: [[String?]]) {
            guard !rows.isEmpty else { return }
            console.line("  \(title):")
            console.line("    " + preview.columns.joined(separator: " | "))
            for row in rows {
                console.line("    " + row.map { $0 ?? "NULL" }.joined(separator: " | "))
            }
        }
        rows("first rows", preview.firstRows)
        if preview.matching > preview.firstRows.count {
            rows("last rows", preview.lastRows)
        }
        console.line(
            "  \(definition.entityTable) \(request.to) already has \(preview.targetRowsInSpan) rows in that span"
        )
        console.line(
            "  \(definition.entityTable) \(request.from) keeps \(preview.sourceRowsLeft) rows of \(definition.table)"
                + (preview.otherReferences.isEmpty
                    ? "" : "; other references: " + preview.otherReferences.joined(separator: ", "))
        )
        for line in preview.alsoChanges { console.line("  also: \(line)") }
        if preview.isRefusedByConflicts {
            console.line("  refused: conflicts under policy refuse.")
        }
    }
}

extension TransferConflictPolicy: ExpressibleByArgument {}
