import Crypto
import Ferry
import Foundation

/// The admin server's bearer token: every route but the page, `/health`,
/// `/livez` and `/readyz` asks for it in `Authorization: Bearer TOKEN`.
public struct ServerToken: Sendable {
    /// SHA-256 of the token: requests are compared with it, so that the
    /// comparison takes the same time for any token presented (its length
    /// included).
    private let digest: [UInt8]

    /// A token given as text.
    ///
    /// - Throws: ``FerryError`` when it is shorter than 16 characters, which
    ///   someone could guess.
    public init(_ text: String) throws {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else {
            throw FerryError(
                .invalidConfiguration,
                "The admin server's token is \(token.count) characters long; it needs at least 16.",
                changes: "Nothing was changed.",
                advice:
                    "Set FERRY_SERVER_TOKEN to a longer secret, or delete the token file so that a new one is made."
            )
        }
        digest = Array(SHA256.hash(data: Data(token.utf8)))
    }

    /// Whether a presented token is this one, in time that does not depend
    /// on where they differ.
    public func matches(_ presented: String) -> Bool {
        let other = Array(SHA256.hash(data: Data(presented.utf8)))
        var difference: UInt8 = 0
        for (left, right) in zip(digest, other) { difference |= left ^ right }
        return difference == 0
    }

    /// A new random token: 32 bytes from the system's generator, in hexadecimal.
    public static func generated() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator))
        }
        .joined()
    }

    /// Where a token came from, for the one line that shows a new one.
    public enum Source: Sendable, Equatable {
        /// `FERRY_SERVER_TOKEN`.
        case environment
        /// A token file that was already there.
        case file(URL)
        /// A token file made now, holding a new token (shown once).
        case generated(URL, token: String)
    }

    /// The token from `FERRY_SERVER_TOKEN` when set, else from the token
    /// file, which is made (0600, holding a new token) when it does not exist.
    ///
    /// - Parameters:
    ///   - text: The token itself, when given (`FERRY_SERVER_TOKEN`).
    ///   - file: The token file.
    ///   - mayGenerate: Whether a missing file may be made with a new token.
    /// - Throws: ``FerryError`` when the file is readable by others than its
    ///   owner, cannot be read or written, or is missing and may not be made.
    public static func load(text: String?, file: URL, mayGenerate: Bool = true) throws -> (
        token: ServerToken, source: Source
    ) {
        if let text, !text.isEmpty { return (try ServerToken(text), .environment) }
        var status = stat()
        if lstat(file.path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFREG else {
                throw FerryError(
                    .invalidConfiguration, "The token file \(file.path) is not a regular file.",
                    changes: "Nothing was changed.",
                    advice: "Point [server] token_file at a file that only this user reads (0600).")
            }
            guard status.st_mode & 0o077 == 0 else {
                throw FerryError(
                    .invalidConfiguration,
                    "The token file \(file.path) can be read by others (mode \(String(status.st_mode & 0o777, radix: 8))).",
                    changes: "Nothing was changed.",
                    advice: "Run 'chmod 600 \(file.path)', or delete it so that a new one is made.")
            }
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw FerryError(
                    .invalidConfiguration,
                    "The token file \(file.path) cannot be read: \(error.localizedDescription)",
                    changes: "Nothing was changed.",
                    advice: "Check the file's owner and mode (0600).")
            }
            return (try ServerToken(text), .file(file))
        }
        guard mayGenerate else {
            throw FerryError(
                .invalidConfiguration,
                "No token is given for an admin server that listens beyond this machine.",
                changes: "Nothing was changed.",
                advice:
                    "Set FERRY_SERVER_TOKEN, or write a secret of 16 characters or more to \(file.path) (mode 0600) first."
            )
        }
        let token = generated()
        // O_EXCL: two servers started at once must not each write a token the other does not know.
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw FerryError(
                .invalidConfiguration,
                "The token file \(file.path) cannot be made: \(String(cString: strerror(errno))).",
                changes: "Nothing was changed.",
                advice:
                    "Set [server] token_file to a path in a folder this user may write, or set FERRY_SERVER_TOKEN."
            )
        }
        defer { close(descriptor) }
        let bytes = Array((token + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            unlink(file.path)
            throw FerryError(
                .fileSystem, "The token file \(file.path) cannot be written.",
                changes: "Nothing was changed.",
                advice: "Check the free space and the folder's mode.")
        }
        return (try ServerToken(token), .generated(file, token: token))
    }
}
