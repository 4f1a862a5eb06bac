import Foundation

/// `manifest.json`, the description of an export, written last: an export
/// without it is incomplete.
///
/// It says who wrote the export and from what (the application, the
/// database's release and applied migrations, the engine), every table's
/// columns, keys, row count and files with their sizes and SHA-256, which
/// secret columns it holds or left out, and one digest over all of it, so
/// that a changed byte anywhere is found before an import writes anything.
public struct ExportManifest: Sendable, Codable, Equatable {
    /// The version of the format this program writes.
    public static let currentFormatVersion = 1
    /// The manifest's file name in the export folder.
    public static let fileName = "manifest.json"
    /// The schema's file name in the export folder.
    public static let schemaFileName = "schema.sql"

    /// One applied migration of the exported database.
    public struct Migration: Sendable, Codable, Equatable {
        /// The migration's id.
        public var id: String
        /// Its release.
        public var release: String
        /// The checksum of its script when it was applied.
        public var checksum: String
    }

    /// One file of the export, relative to its folder.
    public struct File: Sendable, Codable, Equatable {
        /// The path from the export folder, with `/`.
        public var path: String
        /// The size in bytes.
        public var bytes: Int64
        /// The SHA-256 of its bytes, in hex.
        public var sha256: String
        /// How many rows it holds (a part of a table's rows); nil for other files.
        public var rows: Int?
    }

    /// One exported table.
    public struct Table: Sendable, Codable, Equatable {
        /// Its columns and keys.
        public var table: ExportTable
        /// How many rows were exported.
        public var rowCount: Int
        /// The files of its rows, in order.
        public var files: [File]
        /// For an export of entities, whether the rows are references: rows
        /// the entities point at, which an import keeps as the target has
        /// them. Nil otherwise.
        public var references: Bool?
    }

    /// The version of the format (``currentFormatVersion`` when written by this program).
    public var formatVersion: Int
    /// The program that wrote it, such as `ferry 0.1.0`.
    public var producer: String
    /// The application's name.
    public var application: String
    /// The program release of the application that wrote it.
    public var programRelease: String?
    /// The release the database recorded.
    public var release: String?
    /// The database's applied migrations, in order.
    public var migrations: [Migration]
    /// The source engine's name (`sqlite`, `postgresql`).
    public var engine: String
    /// The source engine's version.
    public var engineVersion: String
    /// When the export was taken (UTC, ISO 8601).
    public var createdAt: String
    /// Whether the row files are gzip-compressed.
    public var compressed: Bool
    /// The secret columns (`table.column`) the export holds as they are.
    public var secretColumnsIncluded: [String]
    /// The secret columns (`table.column`) written as NULL (`--redact`).
    public var redactedColumns: [String]
    /// The schema file.
    public var schema: File
    /// The entities exported (`TABLE=KEY`), when only they and their rows
    /// were; nil for whole tables.
    public var entities: [String]?
    /// The tables, in load order (a table after those it references).
    public var tables: [Table]
    /// The SHA-256 of the manifest written with this field empty.
    public var digest: String

    /// The manifest's bytes as written: keys sorted, so that the same
    /// manifest always gives the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0a)
        return data
    }

    /// The digest over everything but the digest itself.
    public func computedDigest() throws -> String {
        var copy = self
        copy.digest = ""
        return Checksum.sha256(try copy.encoded())
    }

    /// The manifest with its digest set.
    public func sealed() throws -> ExportManifest {
        var copy = self
        copy.digest = try computedDigest()
        return copy
    }

    /// Reads a manifest and checks that its bytes are exactly those it
    /// would write, and that its digest matches.
    ///
    /// - Throws: ``FerryError`` (code `exportCorrupt`) when it does not.
    public static func read(_ data: Data, from file: URL) throws -> ExportManifest {
        let manifest: ExportManifest
        do {
            manifest = try JSONDecoder().decode(ExportManifest.self, from: data)
        } catch {
            throw FerryError.exportCorrupt(
                "\(file.path) is not an export manifest that Ferry can read: "
                    + "\(BackupCatalog.describe(error)).")
        }
        guard manifest.formatVersion <= currentFormatVersion else {
            throw FerryError(
                .invalidExport,
                "The export's format version is \(manifest.formatVersion); this program reads up to \(currentFormatVersion).",
                changes: "Nothing was changed.",
                advice:
                    "Import it with a newer ferry (the one that wrote it: \(manifest.producer)).")
        }
        guard (try? manifest.encoded()) == data, (try? manifest.computedDigest()) == manifest.digest
        else {
            throw FerryError.exportCorrupt(
                "\(file.path) does not match its digest: the manifest was changed or damaged after it was written."
            )
        }
        return manifest
    }
}

extension FerryError.Code {
    /// An export folder is damaged, incomplete or changed since it was
    /// written; found before anything was written.
    public static let exportCorrupt = FerryError.Code(rawValue: "exportCorrupt")
    /// An export cannot go where it is asked to (an export from a newer
    /// release, a destination that is not empty, a table the database does
    /// not have, a key conflict under `--mode empty`).
    public static let invalidExport = FerryError.Code(rawValue: "invalidExport")
}

extension FerryError {
    /// An export folder that is damaged: nothing was written.
    static func exportCorrupt(_ message: String) -> FerryError {
        FerryError(
            .exportCorrupt, message,
            changes: "Nothing was changed: the export was checked before anything was written.",
            advice: "Take the export again from the source database, or copy it again whole.")
    }
}
