import TOMLKit

/// The arrays of tables: `[[verify]]`, `[[requirement]]`, `[[component]]`.
/// Ranges are read here, so that a malformed one is an error when the
/// configuration is read, naming the table and key.
extension FileReader {
    /// The tables of an array of tables, such as every `[[verify]]`; a
    /// dotted name (`import.convert`) is an array inside a table.
    func entries(_ key: String) throws -> [TOMLTable] {
        var parts = key.split(separator: ".").map(String.init)
        var outer = table
        while parts.count > 1 {
            guard let inner = outer[parts.removeFirst()]?.table else { return [] }
            outer = inner
        }
        guard let value = outer[parts[0]] else { return [] }
        guard let array = value.array else {
            throw FerryError(
                .invalidConfiguration,
                "\(path): \(key) must be an array of tables, written [[\(key)]].")
        }
        return try array.map { element in
            guard let entry = element.table else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(path): \(key) must be an array of tables, written [[\(key)]].")
            }
            return entry
        }
    }

    /// Reads a value of one entry of an array of tables, naming it in errors.
    private struct Entry {
        let reader: FileReader
        let key: String
        let number: Int
        let table: TOMLTable

        var place: String { "\(reader.path): [[\(key)]] number \(number)" }

        func string(_ name: String) throws -> String? {
            guard let value = table[name] else { return nil }
            guard let string = value.string else {
                throw FerryError(
                    .invalidConfiguration, "\(place): \(name) must be a string in quotes.")
            }
            return string
        }

        func range(_ name: String) throws -> ReleaseRange? {
            guard let text = try string(name) else { return nil }
            return try located { try ReleaseRange(parsing: text) }
        }

        /// Runs `work`, adding the entry's place to a Ferry error's message.
        func located<T>(_ work: () throws -> T) throws -> T {
            do {
                return try work()
            } catch var error as FerryError {
                error.markedMessage = "\(place): \(error.markedMessage)"
                throw error
            }
        }
    }

    private func eachEntry<T>(_ key: String, _ read: (Entry) throws -> [T]) throws -> [T]? {
        let tables = try entries(key)
        guard !tables.isEmpty else { return nil }
        return try tables.enumerated().flatMap { index, table in
            try read(Entry(reader: self, key: key, number: index + 1, table: table))
        }
    }

    func invariants() throws -> [Invariant]? {
        try eachEntry("verify") { entry in
            let releases = try entry.range("releases") ?? .any
            let query = try entry.string("query")
            var preserve: [String] = []
            if let value = entry.table["preserve"] {
                guard let array = value.array, let strings = Optional(array.compactMap(\.string)),
                    strings.count == array.count
                else {
                    throw FerryError(
                        .invalidConfiguration,
                        "\(entry.place): preserve must be a list of strings, "
                            + "such as [\"machines -> servers\"].")
                }
                preserve = strings
            }
            guard (query == nil) != preserve.isEmpty else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(entry.place) must have either query or preserve (not both).",
                    advice:
                        "Write query = \"SELECT …\" (with expect = VALUE if it returns a value to compare), "
                        + "or preserve = [\"old_table -> new_table\"].")
            }
            if let query {
                var expected: String?
                if let value = entry.table["expect"] {
                    if let text = value.string {
                        expected = text
                    } else if let integer = value.int {
                        expected = String(integer)
                    } else if let number = value.double {
                        expected = String(number)
                    } else if let bool = value.bool {
                        expected = bool ? "true" : "false"
                    } else {
                        throw FerryError(
                            .invalidConfiguration,
                            "\(entry.place): expect must be a string, number or boolean.")
                    }
                }
                let name = try entry.string("name") ?? query
                return [
                    Invariant(
                        name: name, check: .query(sql: query, expected: expected),
                        releases: releases)
                ]
            }
            if entry.table["expect"] != nil {
                throw FerryError(
                    .invalidConfiguration,
                    "\(entry.place): expect goes with query, not with preserve.")
            }
            return try preserve.map { text in
                try entry.located { try Invariant.preserving(text, releases: releases) }
            }
        }
    }

    func requirements() throws -> [Requirement]? {
        try eachEntry("requirement") { entry in
            let os = try entry.string("os")
            let engine = try entry.string("engine")
            guard (os == nil) != (engine == nil), let text = os ?? engine else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(entry.place) must have either os or engine (one per [[requirement]]).",
                    advice:
                        "Write for example os = \"debian >= 11\" or engine = \"sqlite >= 3.35\".")
            }
            let unknown = try entry.string("unknown") ?? "warning"
            guard ["warning", "blocker"].contains(unknown) else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(entry.place): unknown must be \"warning\" or \"blocker\".")
            }
            return [
                try entry.located {
                    try Requirement(
                        parsing: text, subject: os == nil ? .engine : .operatingSystem,
                        blocksWhenUnknown: unknown == "blocker")
                }
            ]
        }
    }

    func components() throws -> [Component]? {
        try eachEntry("component") { entry in
            guard let name = try entry.string("name"), !name.isEmpty else {
                throw FerryError(.invalidConfiguration, "\(entry.place) has no name.")
            }
            return [
                Component(
                    name: name, version: try entry.string("version"),
                    compatible: try entry.range("compatible"),
                    removeBefore: try entry.range("remove_before"),
                    removeAfter: try entry.range("remove_after"))
            ]
        }
    }

    func releaseBoundaries() throws -> [ReleaseBoundary]? {
        try eachEntry("release") { entry in
            // A table with a pattern reads releases from file names (``releasePatterns()``).
            if entry.table["pattern"] != nil {
                guard entry.table["version"] == nil, entry.table["through"] == nil else {
                    throw FerryError(
                        .invalidConfiguration,
                        "\(entry.place) has a pattern and version or through: choose one way to give releases."
                    )
                }
                return []
            }
            guard let version = try entry.string("version"),
                let through = try entry.string("through"), !through.isEmpty
            else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(entry.place) must have version and through.",
                    advice:
                        "Write for example version = \"2.0.0\" and through = \"20240101120000\" "
                        + "(the version of the release's last migration).")
            }
            return [
                ReleaseBoundary(
                    release: try entry.located { try Release(parsing: version) }, through: through)
            ]
        }
    }

    func importConversions() throws -> [ImportConversionRule]? {
        try eachEntry("import.convert") { entry in
            guard let column = try entry.string("column"), let from = try entry.string("from")
            else {
                throw FerryError(
                    .invalidConfiguration, "\(entry.place) must have column and from.",
                    advice:
                        "Write for example column = \"readings.taken_at\" and from = \"unix_milliseconds\"."
                )
            }
            return [try entry.located { try ImportConversionRule(column: column, from: from) }]
        }
    }

    func transfers() throws -> [TransferDefinition]? {
        var names: Set<String> = []
        return try eachEntry("transfer") { entry in
            var values: [String: String] = [:]
            for key in ["name", "table", "owner", "references"] {
                guard let value = try entry.string(key), !value.isEmpty else {
                    throw FerryError(
                        .invalidConfiguration,
                        "\(entry.place) must have name, table, owner and references.",
                        advice:
                            "Write for example name = \"sensor history\", table = \"sensor_history\", "
                            + "owner = \"sensor_id\", references = \"sensors(id)\".")
                }
                values[key] = value
            }
            var unique: [String] = []
            if let value = entry.table["unique"] {
                guard let array = value.array, let strings = Optional(array.compactMap(\.string)),
                    strings.count == array.count
                else {
                    throw FerryError(
                        .invalidConfiguration,
                        "\(entry.place): unique must be a list of column names, "
                            + "such as [\"sensor_id\", \"taken_at\"].")
                }
                unique = strings
            }
            let name = values["name"]!
            guard names.insert(name).inserted else {
                throw FerryError(
                    .invalidConfiguration,
                    "\(entry.place): another [[transfer]] is named '\(name)'.")
            }
            let entity = try entry.located {
                try TransferDefinition.parseReferences(values["references"]!)
            }
            return [
                TransferDefinition(
                    name: name, table: values["table"]!, owner: values["owner"]!,
                    entityTable: entity.table, entityKey: entity.key,
                    order: try entry.string("order"), unique: unique)
            ]
        }
    }

    func releasePatterns() throws -> [ReleasePattern]? {
        let patterns: [ReleasePattern]? = try eachEntry("release") { entry in
            guard let text = try entry.string("pattern") else { return [] }
            return [try entry.located { try ReleasePattern(text) }]
        }
        return patterns?.isEmpty == false ? patterns : nil
    }
}
