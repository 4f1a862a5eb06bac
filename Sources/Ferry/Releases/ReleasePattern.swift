/// A regular expression that reads each migration's release out of its
/// file name in another tool's folder: `[[release]] pattern =
/// '^V(?<release>\d+\.\d+\.\d+)_'` (the group named `release`, or else the
/// first group).
///
/// A migration whose file does not match belongs to the release of the one
/// before it, so a release needs only its first file named; releases never
/// go back in the order the migrations run.
public struct ReleasePattern: Sendable, Equatable {
    /// The expression as written.
    public let text: String

    /// Reads an expression.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) for one that is
    ///   not a regular expression or has no group to read the release from.
    public init(_ text: String) throws {
        do {
            _ = try Regex(text)
        } catch {
            throw FerryError(
                .invalidConfiguration, "pattern = '\(text)' is not a regular expression: \(error).")
        }
        guard text.contains("(") else {
            throw FerryError(
                .invalidConfiguration,
                "pattern = '\(text)' has no group to read the release from.",
                advice: "Put the release in a group, such as '^V(?<release>\\d+\\.\\d+\\.\\d+)_'.")
        }
        self.text = text
    }

    /// The release a file name holds; nil when the name does not match.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) when the part
    ///   it reads is not a version.
    public func release(in fileName: String) throws -> Release? {
        // Compiled where it is used: a Regex cannot cross concurrency domains, the text can.
        guard let expression = try? Regex(text),
            let match = try? expression.firstMatch(in: fileName)
        else { return nil }
        let group =
            match.output["release"]?.substring
            ?? (match.output.count > 1 ? match.output[1].substring : nil)
        guard let group else { return nil }
        guard let release = Release(String(group)) else {
            throw FerryError(
                .invalidConfiguration,
                "pattern = '\(text)' reads '\(group)' out of \(fileName), which is not a release version.",
                changes: "Nothing was changed.",
                advice: "Make the pattern's group hold a version such as 2.1.0.")
        }
        return release
    }

    /// Two patterns are the same when they are written the same.
    public static func == (left: ReleasePattern, right: ReleasePattern) -> Bool {
        left.text == right.text
    }
}
