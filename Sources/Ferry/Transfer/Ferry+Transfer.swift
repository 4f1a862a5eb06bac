import Foundation

extension Ferry {
    /// How many rows a preview shows at each end.
    public static let transferPreviewRows = 3

    /// What can be transferred: the `[[transfer]]` tables of `ferry.toml`
    /// or, when there are none, one definition per foreign key of one
    /// column (``TransferDefinition/discovered(in:indexes:)``).
    ///
    /// - Throws: ``FerryError`` when the database cannot be read.
    public func transferDefinitions() async throws -> [TransferDefinition] {
        if !configuration.transfers.isEmpty { return configuration.transfers }
        return try await withTransferSession { session, _ in
            try await discoveredDefinitions(in: try await session.exportTables(), session)
        }
    }

    /// The entities of a definition that own rows, or that exist, with the
    /// number of rows each owns, for a user who chooses one (most rows first).
    public func transferEntities(of definition: TransferDefinition) async throws -> [(
        key: String, rows: Int
    )] {
        try await withTransferSession { session, _ in
            let q = SQLIdentifier.quoted
            let rows = try await session.query(
                HistoryStatement(
                    "SELECT CAST(e.\(q(definition.entityKey)) AS TEXT), "
                        + "(SELECT count(*) FROM \(q(definition.table)) AS s "
                        + "WHERE s.\(q(definition.owner)) = e.\(q(definition.entityKey))) "
                        + "FROM \(q(definition.entityTable)) AS e ORDER BY 2 DESC, 1",
                    columns: [.text, .integer]))
            return rows.map { (key: $0[0].text ?? "", rows: $0[1].integer ?? 0) }
        }
    }

    /// Computes what a transfer would do, changing nothing: the rows that
    /// would move, their span and first and last rows, the target's rows in
    /// that span, the conflicts under the request's policy, and what else
    /// would change. A transfer done before (and not undone) that left
    /// nothing to do is named in ``TransferPreview/doneBy``.
    ///
    /// - Throws: ``FerryError``: `invalidTransfer` for an unknown
    ///   definition or entity, the same entity twice, or a condition the
    ///   engine refuses; `databaseMissing` when there is no database.
    public func transferPreview(_ request: TransferRequest) async throws -> TransferPreview {
        try await withTransferSession { session, _ in
            try await preview(request, in: session)
        }
    }

    /// Transfers one entity's rows to another, as ``transferPreview(_:)``
    /// showed: takes a pre-transfer backup, then, in one transaction under
    /// the upgrade lock, moves (one `UPDATE` of the owner column) or copies
    /// (`INSERT … SELECT`, keys left to the engine) the rows verbatim with
    /// the table's triggers off, records the key and digest of each row and
    /// the transfer itself in Ferry's history, and commits only when the
    /// number of rows moved is the number previewed.
    ///
    /// - Parameters:
    ///   - request: What to transfer.
    ///   - preview: The preview the user confirmed; nil previews now.
    ///   - takingBackup: Whether to take the pre-transfer backup (the
    ///     default); false when one was just made. An undo needs none.
    ///   - onEvent: Called for each event of the backup.
    /// - Returns: What was done: ``TransferReport/Outcome/alreadyDone`` when
    ///   the same transfer was done before, with nothing changed.
    /// - Throws: ``FerryError``: `transferRefused` for conflicts under
    ///   policy refuse, or rows that changed between preview and commit
    ///   (rolled back); what ``transferPreview(_:)`` throws.
    @discardableResult
    public func transfer(
        _ request: TransferRequest, expecting preview: TransferPreview? = nil,
        takingBackup: Bool = true, onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> TransferReport {
        let clock = ContinuousClock()
        let started = clock.now
        let emit = eventEmitter(onEvent)
        try await rollBackInterruptedTransaction(emit: emit)
        let confirmed: TransferPreview
        if let preview {
            guard preview.request == request else {
                throw FerryError(
                    .invalidTransfer,
                    "The preview given is of another transfer than the one asked for.",
                    changes: "Nothing was changed.",
                    advice: "Pass the preview that transferPreview(_:) made of this request.")
            }
            confirmed = preview
        } else {
            confirmed = try await transferPreview(request)
        }
        if let done = confirmed.doneBy {
            let record = try await transfers().first { $0.id == done }
            if let record {
                return TransferReport(
                    outcome: .alreadyDone, transfer: record, backup: nil,
                    seconds: (clock.now - started).inSeconds)
            }
        }
        if confirmed.isRefusedByConflicts {
            throw FerryError(
                .transferRefused,
                "\(confirmed.conflicts) of the \(confirmed.matching) rows conflict with rows that \(confirmed.definition.entityTable) \(request.to) already has (same \(confirmed.definition.unique.joined(separator: ", "))).",
                changes: "Nothing was changed.",
                advice:
                    "Choose the conflict policy skip (leave those rows with the source) or replace (delete the target's rows first), or narrow the rows with a condition."
            )
        }
        if confirmed.rows == 0 && !confirmed.deletesSource {
            throw FerryError(
                .transferRefused,
                "No row of \(confirmed.definition.table) would move: \(confirmed.definition.entityTable) \(request.from) has \(confirmed.matching) matching row\(confirmed.matching == 1 ? "" : "s")"
                    + (confirmed.conflicts > 0 ? ", all of them conflicts." : "."),
                changes: "Nothing was changed.",
                advice: "Check the entities and the condition with the preview.")
        }
        CrashPoint.reach("transfer.previewed")
        let state = try await configuration.engine.readState()
        var backup: Backup?
        if takingBackup {
            backup = try await takeBackup(
                kind: .preTransfer, format: .native, state: state, upgradeTo: nil,
                note: "before transferring \(request.name) from \(request.from) to \(request.to)",
                emit: emit)
        }
        CrashPoint.reach("transfer.backedUp")
        let record = try await TransactionPurpose.transfer.rollingBack {
            try await underLock { session, dialect in
                let checked = try await self.checkedTables(
                    for: request, undoing: false, in: session)
                return try await session.inTransaction(
                    for: .transfer, checkingReferencesOf: checked
                ) {
                    try await self.apply(
                        confirmed, backup: backup?.name, state: state, in: session,
                        dialect: dialect)
                }
            }
        }
        return TransferReport(
            outcome: .transferred, transfer: record, backup: backup?.name,
            seconds: (clock.now - started).inSeconds)
    }

    /// The transfers recorded in the database, oldest first.
    public func transfers() async throws -> [TransferRecord] {
        try await withTransferSession { session, dialect in
            let store = TransferStore(dialect: dialect)
            guard try await session.query(store.tablesQuery).isEmpty == false else { return [] }
            return store.records(from: try await session.query(store.select()))
        }
    }

    /// Undoes a transfer: the moved rows go back to their source (or the
    /// copies are deleted), in one transaction after a pre-transfer backup,
    /// but only while every one of them is as the transfer left it.
    ///
    /// - Throws: ``FerryError``: `transferRefused` when a row changed since
    ///   (its key, digest or owner), when the transfer replaced the target's
    ///   rows or deleted the source (the backup holds them), or when the
    ///   source entity is gone; `invalidTransfer` for an unknown id.
    @discardableResult
    public func undoTransfer(
        id: Int, onEvent: (@Sendable (UpgradeEvent) -> Void)? = nil
    ) async throws -> TransferReport {
        let clock = ContinuousClock()
        let started = clock.now
        let emit = eventEmitter(onEvent)
        try await rollBackInterruptedTransaction(emit: emit)
        guard let record = try await transfers().first(where: { $0.id == id }) else {
            throw FerryError(
                .invalidTransfer,
                "No transfer \(id) is recorded in \(configuration.engine.displayName).",
                changes: "Nothing was changed.",
                advice: "List the transfers with \(run: .transfers).")
        }
        if record.undoneAt != nil {
            return TransferReport(
                outcome: .alreadyUndone, transfer: record, backup: nil,
                seconds: (clock.now - started).inSeconds)
        }
        let backupNote =
            record.backup.map {
                "The pre-transfer backup \($0) holds the database as it was before it."
            }
            ?? ""
        if record.replaced > 0 || record.deletedSource {
            throw FerryError(
                .transferRefused,
                "Transfer \(id) "
                    + (record.replaced > 0
                        ? "deleted \(record.replaced) rows of the target (policy replace)"
                        : "deleted the source entity \(record.from)")
                    + ", which an undo cannot bring back.",
                changes: "Nothing was changed.",
                advice: "Restore what you need from the backup. " + backupNote)
        }
        _ = try await check(undoOf: record)
        let state = try await configuration.engine.readState()
        let backup = try await takeBackup(
            kind: .preTransfer, format: .native, state: state, upgradeTo: nil,
            note: "before undoing transfer \(id)", emit: emit)
        var undone = try await TransactionPurpose.transferUndo.rollingBack {
            try await underLock { session, dialect in
                let checked = try await self.checkedTables(
                    for: self.request(of: record), undoing: true, in: session)
                return try await session.inTransaction(
                    for: .transferUndo, checkingReferencesOf: checked
                ) {
                    try await self.applyUndo(
                        of: record, state: state, backup: backup.name, in: session,
                        dialect: dialect)
                }
            }
        }
        undone.undoneAt = undone.undoneAt ?? Date()
        return TransferReport(
            outcome: .undone, transfer: undone, backup: backup.name,
            seconds: (clock.now - started).inSeconds)
    }

    // MARK: Sessions

    /// Lends a session that can transfer, on a database that exists.
    private func withTransferSession<Result: Sendable>(
        _ body: (any TransferringSession, any TransferDialect) async throws -> Result
    ) async throws -> Result {
        let engine = configuration.engine
        let state = try await engine.readState()
        guard state.exists else {
            throw FerryError(
                .databaseMissing, "\(engine.displayName) does not exist.",
                changes: "Nothing was changed.",
                advice: "Check the database location (\(.database)).")
        }
        return try await engine.withSession { session in
            guard let transferring = session as? any TransferringSession else {
                throw FerryError(
                    .unsupportedByEngine,
                    "The \(engine.engineName) engine cannot transfer rows.",
                    changes: "Nothing was changed.")
            }
            // The text of values (a row's digest, a condition) read the same in every transfer session.
            let dialect = transferring.transferDialect
            for setting in dialect.valueTextSettings(legacy: false) {
                _ = try await transferring.query(HistoryStatement(setting))
            }
            return try await body(transferring, dialect)
        }
    }

    /// ``withTransferSession(_:)`` under the upgrade lock.
    private func underLock<Result: Sendable>(
        _ body: (any TransferringSession, any TransferDialect) async throws -> Result
    ) async throws -> Result {
        let engine = configuration.engine
        return try await engine.withUpgradeLock(
            holder: .currentProcess(), timeout: configuration.lockTimeout, onWait: { _ in }
        ) {
            try await withTransferSession(body)
        }
    }

    /// The tables whose foreign keys are checked before the commit of a
    /// transfer (or its undo): not the moved rows' reference to their new
    /// owner, which the transaction checks itself (one row: the entity
    /// exists), but a table whose copies carry their other references, a
    /// table whose owner column references something else than the
    /// definition says, the tables that reference the moved table (a key of
    /// theirs may hold the owner column the transfer rewrites), and the
    /// tables that reference deleted rows (policy replace, the source entity,
    /// an undone copy). Names compare as SQL does, without case.
    private func checkedTables(
        for request: TransferRequest, undoing: Bool, in session: any TransferringSession
    ) async throws -> [String] {
        let (definition, table, entity) = try await resolve(request, in: session)
        let tables = try await session.exportTables()
        var checked: Set<String> = []
        let ownerIsTheEntity = table.foreignKeys.allSatisfy { key in
            !key.columns.contains(definition.owner)
                || (key.columns == [definition.owner] && key.referencedTable == entity.name
                    && (key.referencedColumns.isEmpty ? entity.primaryKey : key.referencedColumns)
                        == [definition.entityKey])
        }
        if !ownerIsTheEntity || (request.mode == .copy && !undoing) { checked.insert(table.name) }
        func referencing(_ name: String) {
            for other in tables
            where other.foreignKeys.contains(where: {
                $0.referencedTable.caseInsensitiveCompare(name) == .orderedSame
            }) {
                checked.insert(other.name)
            }
        }
        referencing(table.name)
        if !undoing && request.deletesEmptySource { referencing(entity.name) }
        return checked.sorted()
    }

    // MARK: Preview

    /// The definitions found from the foreign keys (and the indexes) of `tables`.
    private func discoveredDefinitions(
        in tables: [ExportTable], _ session: any TransferringSession
    ) async throws -> [TransferDefinition] {
        var indexes: [String: [[String]]] = [:]
        for table in Set(tables.flatMap { table in table.foreignKeys.isEmpty ? [] : [table.name] })
        {
            indexes[table] = try await session.indexedColumns(of: table)
        }
        return TransferDefinition.discovered(in: tables, indexes: indexes)
    }

    /// The definition named, its table and entity table, checked.
    private func resolve(_ request: TransferRequest, in session: any TransferringSession)
        async throws -> (TransferDefinition, ExportTable, ExportTable)
    {
        let tables = try await session.exportTables()
        let definitions =
            configuration.transfers.isEmpty
            ? try await discoveredDefinitions(in: tables, session) : configuration.transfers
        guard let definition = definitions.first(where: { $0.name == request.name }) else {
            throw FerryError(
                .invalidTransfer,
                "No transfer is named '\(request.name)'. Known: "
                    + (definitions.isEmpty
                        ? "none."
                        : definitions.map { "'\($0.name)'" }.joined(separator: ", ") + "."),
                changes: "Nothing was changed.",
                advice:
                    "Declare it in ferry.toml as [[transfer]] (name, table, owner, references, order, unique), or use a name listed."
            )
        }
        func table(_ name: String) throws -> ExportTable {
            guard let table = tables.first(where: { $0.name == name }) else {
                throw FerryError(
                    .invalidTransfer,
                    "The transfer '\(definition.name)' names the table \(name), which \(configuration.engine.displayName) does not have.",
                    changes: "Nothing was changed.", advice: "Fix its [[transfer]] in ferry.toml.")
            }
            return table
        }
        let rows = try table(definition.table)
        let entity = try table(definition.entityTable)
        let needed =
            [definition.owner] + (definition.order.map { [$0] } ?? []) + definition.unique
        for column in needed where !rows.columns.contains(where: { $0.name == column }) {
            throw FerryError(
                .invalidTransfer,
                "The transfer '\(definition.name)' names the column \(definition.table).\(column), which does not exist.",
                changes: "Nothing was changed.", advice: "Fix its [[transfer]] in ferry.toml.")
        }
        guard rows.primaryKey.count == 1 else {
            throw FerryError(
                .invalidTransfer,
                "\(definition.table) has \(rows.primaryKey.isEmpty ? "no primary key" : "a primary key of \(rows.primaryKey.count) columns"): a transfer records each row by a key of one column, so that an undo finds exactly its rows.",
                changes: "Nothing was changed.",
                advice: "Give the table a primary key of one column.")
        }
        if request.mode == .copy,
            rows.columns.first(where: { $0.name == rows.primaryKey[0] })?.logicalType != .integer
        {
            throw FerryError(
                .invalidTransfer,
                "A copy leaves each new row's key to the engine, which numbers only an integer key; \(definition.table).\(rows.primaryKey[0]) is not one.",
                changes: "Nothing was changed.", advice: "Move the rows instead of copying them.")
        }
        guard request.from != request.to else {
            throw FerryError(
                .invalidTransfer, "The source and the target are the same (\(request.from)).",
                changes: "Nothing was changed.", advice: "Give two different entities.")
        }
        return (definition, rows, entity)
    }

    private func preview(_ request: TransferRequest, in session: any TransferringSession)
        async throws -> TransferPreview
    {
        if let condition = request.condition,
            let fault = TransferCondition.fault(
                of: condition, quoting: session.transferDialect.conditionQuoting)
        {
            throw FerryError(
                .invalidTransfer,
                "The condition given (--where) cannot be used: \(fault). It is added to every statement of the transfer as `AND (condition)`, and must stay inside that parenthesis.",
                changes: "Nothing was changed.",
                advice:
                    "Give one condition on the rows, its parentheses and quotes closed, such as --where \"taken_at >= '2024-01-01'\"."
            )
        }
        let (definition, table, entity) = try await resolve(request, in: session)
        let sql = TransferStatements(
            dialect: session.transferDialect, definition: definition, request: request,
            table: table, entity: entity)
        func integer(_ statement: HistoryStatement) async throws -> Int {
            try await described(request) {
                try await session.query(statement).first?.first?.integer ?? 0
            }
        }
        for id in [request.from, request.to] where try await integer(sql.entityCount(id)) == 0 {
            throw FerryError(
                .invalidTransfer,
                "\(definition.entityTable) has no row with \(definition.entityKey) = \(id).",
                changes: "Nothing was changed.",
                advice:
                    "Give an existing \(definition.entityTable) key (the walk-through lists them).")
        }
        let summary = try await described(request) { try await session.query(sql.summary) }
        let matching = summary.first?[0].integer ?? 0
        let conflicts = summary.first?[1].integer ?? 0
        // Under policy skip only the conflicting rows stay: no second count.
        let rows =
            request.policy == .skip && sql.detectsConflicts
            ? try await integer(sql.movingCount) : matching
        let replaced =
            request.policy == .replace && sql.detectsConflicts
            ? try await integer(sql.replacedCount) : 0
        let first = try await described(request) {
            try await session.query(sql.rows(last: false, limit: Self.transferPreviewRows))
        }
        let last = try await described(request) {
            try await session.query(sql.rows(last: true, limit: Self.transferPreviewRows))
        }
        let span = (summary.first?[2].text, summary.first?[3].text)
        var inSpan = 0
        if let first = span.0, let last = span.1 {
            inSpan = try await integer(sql.targetInSpan(from: first, to: last))
        }
        let total =
            request.condition == nil
            ? matching : try await integer(sql.references(in: table, column: definition.owner))
        let left = request.mode == .move ? total - rows : total
        var others: [String] = []
        var otherRows = 0
        for other in try await session.exportTables() {
            for key in other.foreignKeys
            where key.columns.count == 1 && key.referencedTable == definition.entityTable
                && !(other.name == definition.table && key.columns[0] == definition.owner)
            {
                let count = try await integer(sql.references(in: other, column: key.columns[0]))
                if count > 0 {
                    others.append("\(other.name).\(key.columns[0]): \(count)")
                    otherRows += count
                }
            }
        }
        let deletesSource = request.deletesEmptySource && left == 0 && otherRows == 0
        var also: [String] = []
        if replaced > 0 {
            also.append(
                "\(replaced) row\(replaced == 1 ? "" : "s") of \(definition.entityTable) \(request.to) deleted first (policy replace)"
            )
        }
        if request.policy == .skip && conflicts > 0 {
            also.append(
                "\(conflicts) conflicting row\(conflicts == 1 ? "" : "s") left with \(definition.entityTable) \(request.from) (policy skip)"
            )
        }
        if request.deletesEmptySource {
            also.append(
                deletesSource
                    ? "\(definition.entityTable) \(request.from) deleted: nothing references it afterwards"
                    : "\(definition.entityTable) \(request.from) kept: still referenced by "
                        + ((left > 0 ? ["\(definition.table).\(definition.owner): \(left)"] : [])
                        + others).joined(separator: ", "))
        }
        // The backup is the transfer's caller's choice (`takingBackup`), which says so itself.
        also.append("the transfer recorded in Ferry's history")
        var doneBy: Int?
        let store = TransferStore(dialect: session.transferDialect)
        if rows == 0 || request.mode == .copy,
            try await !session.query(store.tablesQuery).isEmpty,
            let done = store.records(
                from: try await session.query(store.sameTransfers(as: request))
            )
            .first
        {
            doneBy = done.id
        }
        return TransferPreview(
            request: request, definition: definition, matching: matching, rows: rows,
            conflicts: conflicts, replaced: replaced,
            firstAt: definition.order == nil ? nil : summary.first?[2].text,
            lastAt: definition.order == nil ? nil : summary.first?[3].text,
            columns: table.columns.map(\.name), firstRows: first.map { $0.map(\.text) },
            lastRows: last.reversed().map { $0.map(\.text) }, targetRowsInSpan: inSpan,
            sourceRowsLeft: left, otherReferences: others, deletesSource: deletesSource,
            alsoChanges: also, doneBy: doneBy)
    }

    /// Runs a preview's query, naming the condition when the engine refuses it.
    private func described<T>(_ request: TransferRequest, _ work: () async throws -> T)
        async throws -> T
    {
        do {
            return try await work()
        } catch var error as FerryError where error.code == .transferFailed {
            if let condition = request.condition {
                error.code = .invalidTransfer
                error.advice = "Check the condition given (--where): \(condition)"
            }
            error.changes = "Nothing was changed."
            throw error
        }
    }

    // MARK: The transaction

    /// Moves or copies the rows and records it, in the open transaction.
    private func apply(
        _ preview: TransferPreview, backup: String?, state: DatabaseState,
        in session: any TransferringSession, dialect: any TransferDialect
    ) async throws -> TransferRecord {
        let request = preview.request
        let (definition, table, entity) = try await resolve(request, in: session)
        let sql = TransferStatements(
            dialect: dialect, definition: definition, request: request, table: table,
            entity: entity)
        let store = TransferStore(dialect: dialect)
        for statement in store.createTables { _ = try await session.query(statement) }
        let id = try await session.query(store.nextID).first?.first?.integer ?? 1
        let (replaced, moved, recorded) = try await session.withTriggersOff(on: table.name) {
            let replaced =
                request.policy == .replace && sql.detectsConflicts
                ? try await session.changeRows(sql.deleteReplaced) : 0
            switch request.mode {
            case .move:
                let (moved, recorded) = try await session.move(
                    sql.moving(transfer: id, rows: preview.rows))
                return (replaced, moved, recorded)
            case .copy:
                let largest = try await session.query(sql.largestKey).first?.first?.text
                let copied = try await session.changeRows(sql.copy)
                let recorded = try await session.record(
                    sql.recordCopies(transfer: id, after: largest, rows: preview.rows))
                return (replaced, copied, recorded)
            }
        }
        CrashPoint.reach("transfer.moved")
        // Under policy refuse, a row that another process gave the target since the preview is a
        // conflict too: the moved rows would sit beside it.
        if request.policy == .refuse, sql.detectsConflicts, moved > 0 {
            let conflicts =
                try await session.query(sql.conflictsAfterMove(transfer: id)).first?.first?.integer
                ?? 0
            guard conflicts == 0 else {
                throw FerryError(
                    .transferRefused,
                    "\(conflicts) moved row\(conflicts == 1 ? "" : "s") would conflict with rows that \(definition.entityTable) \(request.to) was given since the preview.",
                    changes: "Nothing was changed: the transfer was rolled back.",
                    advice: "Run the transfer again and check its new preview.")
            }
        }
        guard moved == preview.rows, replaced == preview.replaced else {
            throw FerryError(
                .transferRefused,
                "\(moved) row\(moved == 1 ? "" : "s") would have \(request.mode == .move ? "moved" : "been copied")"
                    + (replaced == preview.replaced ? "" : " (and \(replaced) replaced)")
                    + ", but the preview showed \(preview.rows)"
                    + (replaced == preview.replaced ? "" : " (and \(preview.replaced) replaced)")
                    + ": another process changed the rows of \(definition.table) since the preview.",
                changes: "Nothing was changed: the transfer was rolled back.",
                advice:
                    "Stop what writes to them, then run the transfer again and check its new preview."
            )
        }
        guard recorded == moved else {
            throw FerryError(
                .transferFailed,
                "Ferry recorded \(recorded) rows of the \(moved) \(request.mode == .move ? "moved" : "copied"), so an undo would not be exact"
                    + (request.mode == .copy
                        ? " (the engine did not number the copies past the largest key)." : "."),
                changes: "Nothing was changed: the transfer was rolled back.",
                advice: "Move the rows instead, or report this to Ferry's developers.")
        }
        // The rows reference the target now, which must still exist: the engine checks only the
        // tables that checkedTables(for:undoing:in:) names.
        if try await session.query(sql.entityCount(request.to)).first?.first?.integer == 0 {
            throw FerryError(
                .transferRefused,
                "\(definition.entityTable) \(request.to), the target, no longer exists: another process deleted it since the preview.",
                changes: "Nothing was changed: the transfer was rolled back.",
                advice: "Check the entities with a new preview, then run the transfer again.")
        }
        var deletedSource = false
        if request.deletesEmptySource {
            var remaining =
                try await session.query(
                    sql.references(in: table, column: definition.owner)
                ).first?.first?.integer ?? 0
            for other in try await session.exportTables() {
                for key in other.foreignKeys
                where key.columns.count == 1 && key.referencedTable == definition.entityTable
                    && !(other.name == definition.table && key.columns[0] == definition.owner)
                {
                    remaining +=
                        try await session.query(sql.references(in: other, column: key.columns[0]))
                        .first?.first?.integer ?? 0
                }
            }
            if remaining == 0 {
                deletedSource = try await session.changeRows(sql.deleteSource) == 1
            }
        }
        let record = TransferRecord(
            id: id, name: definition.name, table: definition.table, owner: definition.owner,
            from: request.from, to: request.to, condition: request.condition, mode: request.mode,
            policy: request.policy, rows: moved, replaced: replaced, deletedSource: deletedSource,
            backup: backup, by: Self.transferUser, at: Date(), undoneAt: nil)
        _ = try await session.query(store.insert(record))
        try await session.recordEvent(
            HistoryEvent(
                kind: .transfer, at: record.at,
                fromRelease: state.recordedRelease.map { RecordedRelease($0) },
                toRelease: state.recordedRelease.map { RecordedRelease($0) }, backup: backup,
                note: Self.note(of: record)))
        CrashPoint.reach("transfer.beforeCommit")
        return record
    }

    /// Who runs the transfer: `user@host`.
    static var transferUser: String {
        "\(NSUserName())@\(ProcessInfo.processInfo.hostName)"
    }

    /// A transfer in one line, for `ferry history`.
    static func note(of record: TransferRecord) -> String {
        "transfer \(record.id) '\(record.name)': \(record.rows) rows of \(record.table) "
            + "\(record.mode == .move ? "moved" : "copied") from \(record.owner) \(record.from) to \(record.to)"
            + (record.condition.map { " where \($0)" } ?? "")
            + " (policy \(record.policy.rawValue)"
            + (record.replaced > 0 ? ", \(record.replaced) replaced" : "")
            + (record.deletedSource ? ", source deleted" : "") + ") by \(record.by)"
    }

    // MARK: Undo

    /// The request a record repeats.
    private func request(of record: TransferRecord) -> TransferRequest {
        TransferRequest(
            name: record.name, from: record.from, to: record.to, condition: record.condition,
            mode: record.mode, policy: record.policy)
    }

    /// The statements of an undo, reading packs only where they exist.
    private func undoStatements(
        _ statements: TransferStatements, in session: any TransferringSession
    ) async throws -> TransferStatements {
        var statements = statements
        let tables = try await session.query(TransferStore(dialect: statements.dialect).tablesQuery)
        statements.packsExist = tables.contains {
            $0.first?.text?.lowercased() == TransferStore.packsTable
        }
        return statements
    }

    /// Refuses an undo when a recorded row changed since the transfer.
    private func check(undoOf record: TransferRecord) async throws -> Bool {
        try await withTransferSession { session, dialect in
            try await self.checkUnchanged(record, in: session, dialect: dialect)
            return true
        }
    }

    private func checkUnchanged(
        _ record: TransferRecord, in session: any TransferringSession,
        dialect: any TransferDialect
    ) async throws {
        let request = request(of: record)
        let (definition, table, entity) = try await resolve(request, in: session)
        guard definition.table == record.table, definition.owner == record.owner else {
            throw FerryError(
                .transferRefused,
                "Transfer \(record.id) moved rows of \(record.table).\(record.owner); '\(record.name)' now names \(definition.table).\(definition.owner).",
                changes: "Nothing was changed.",
                advice: "Restore its backup \(record.backup ?? "") instead.")
        }
        let sql = try await undoStatements(
            TransferStatements(
                dialect: dialect, definition: definition, request: request, table: table,
                entity: entity), in: session)
        // An older Ferry recorded the keys and digests under the session's own settings: read
        // them as it wrote them, for the check and the undo after it.
        if let legacy = TransferStore(dialect: dialect).legacyRows(of: record.id),
            try await session.query(legacy).first?.first?.integer ?? 0 > 0
        {
            for setting in dialect.valueTextSettings(legacy: true) {
                _ = try await session.query(HistoryStatement(setting))
            }
        }
        if try await session.query(sql.entityCount(record.from)).first?.first?.integer == 0 {
            throw FerryError(
                .transferRefused,
                "\(definition.entityTable) \(record.from), the source of transfer \(record.id), no longer exists.",
                changes: "Nothing was changed.",
                advice: "Restore the pre-transfer backup \(record.backup ?? "") instead.")
        }
        let changed =
            try await session.query(sql.changedRows(transfer: record.id)).first?.first?.integer ?? 0
        guard changed == 0 else {
            let keys = try await session.query(sql.changedRows(transfer: record.id, keys: 5))
                .compactMap { $0.first?.text }
            throw FerryError(
                .transferRefused,
                "\(changed) of the \(record.rows) rows of transfer \(record.id) changed since it (deleted, edited, or given another owner): "
                    + "\(table.primaryKey[0]) " + keys.joined(separator: ", ")
                    + (changed > keys.count ? ", …" : "") + ". An undo would lose those changes.",
                changes: "Nothing was changed.",
                advice:
                    "Move those rows back by hand if you mean to, or restore the pre-transfer backup \(record.backup ?? "") (which loses every later change)."
            )
        }
    }

    /// Gives the rows of a transfer back, and records the undo with
    /// `backup`, the one taken before it.
    private func applyUndo(
        of record: TransferRecord, state: DatabaseState, backup: String,
        in session: any TransferringSession, dialect: any TransferDialect
    ) async throws -> TransferRecord {
        // Checked again under the lock: a row may have changed since the check before the backup.
        try await checkUnchanged(record, in: session, dialect: dialect)
        let request = request(of: record)
        let (definition, table, entity) = try await resolve(request, in: session)
        let sql = try await undoStatements(
            TransferStatements(
                dialect: dialect, definition: definition, request: request, table: table,
                entity: entity), in: session)
        let changed = try await session.withTriggersOff(on: table.name) {
            try await session.changeRows(
                record.mode == .move
                    ? sql.undoMove(transfer: record.id) : sql.undoCopy(transfer: record.id))
        }
        guard changed == record.rows else {
            throw FerryError(
                .transferRefused,
                "The undo would change \(changed) rows; transfer \(record.id) recorded \(record.rows).",
                changes: "Nothing was changed: the undo was rolled back.",
                advice: "Restore the pre-transfer backup \(record.backup ?? "") instead.")
        }
        let store = TransferStore(dialect: dialect)
        let now = Date()
        _ = try await session.query(store.markUndone(id: record.id, at: now))
        var undone = record
        undone.undoneAt = now
        try await session.recordEvent(
            HistoryEvent(
                kind: .transferUndone, at: now,
                fromRelease: state.recordedRelease.map { RecordedRelease($0) },
                toRelease: state.recordedRelease.map { RecordedRelease($0) }, backup: backup,
                note: "undid " + Self.note(of: record)))
        CrashPoint.reach("transfer.undo.beforeCommit")
        return undone
    }
}
