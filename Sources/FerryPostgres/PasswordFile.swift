import Foundation

/// PostgreSQL's password file, `~/.pgpass` (or `PGPASSFILE`), read as libpq
/// reads it.
///
/// Each line is `host:port:database:user:password`; `*` matches anything,
/// and `\:` and `\\` stand for `:` and `\`. The first matching line wins. A
/// file that others may read is ignored, as libpq ignores it, so that a
/// password there stays private.
enum PasswordFile {
    /// The password file to read, whether or not it exists.
    static func location(environment: [String: String]) -> URL? {
        if let path = environment["PGPASSFILE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".pgpass")
    }

    /// What psql says of a password file that it ignores because others may
    /// read it, or nil when the file is missing or private.
    static func warning(about file: URL) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
            let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 != 0
        else { return nil }
        return "The password file \(file.path) is ignored: it has group or world access (mode "
            + String(permissions & 0o777, radix: 8)
            + "). Make it private with chmod 0600 \(file.path), "
            + "as libpq requires, or give the password in PGPASSWORD."
    }

    /// The password for a connection, or nil when the file is missing, open
    /// to others, or has no matching line.
    static func password(in file: URL, host: String, port: Int, database: String, user: String)
        -> String?
    {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
            let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0,
            let text = try? String(contentsOf: file, encoding: .utf8)
        else { return nil }
        // libpq matches a Unix socket connection against the host name `localhost`.
        let hostName = host.hasPrefix("/") ? "localhost" : host
        let wanted = [hostName, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") { continue }
            let fields = self.fields(of: Substring(line))
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) {
                return fields[4]
            }
        }
        return nil
    }

    /// A line's fields, with `\:` and `\\` unescaped.
    static func fields(of line: Substring) -> [String] {
        var fields: [String] = []
        var field = ""
        var escaped = false
        for character in line {
            if escaped {
                field.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}
