import Foundation

/// A value whose texts may name settings and commands (``FerryError/Remedy``),
/// worded for whoever reads it: an error, a preflight check, a status.
///
/// Its texts read with the library's words (``FerryError/Wording/library``)
/// unless a reader asks for its own with ``worded(for:)``; encoded, they take
/// the wording in the encoder's `userInfo` (``FerryError/Wording/userInfoKey``).
public protocol WordedForReader {
    /// Who reads the value, which decides how its texts name settings and commands.
    var wording: FerryError.Wording { get set }
}

extension WordedForReader {
    /// Returns a copy worded for a reader: the `ferry` tool asks for its own
    /// wording so that the texts name its flags and command lines.
    public func worded(for wording: FerryError.Wording) -> Self {
        var copy = self
        copy.wording = wording
        return copy
    }
}

/// A text as written, with its remedies marked until a reader words it;
/// encoded, it is worded for the encoder's reader (the library's when none
/// is given).
package struct MarkedText: Sendable, Hashable, Encodable {
    /// The text with its marks.
    package var text: String

    /// Keeps a text, marks and all.
    package init(_ text: String) {
        self.text = text
    }

    /// The text in a reader's words.
    package func worded(for wording: FerryError.Wording) -> String {
        wording.apply(to: text)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(worded(for: encoder.readersWording ?? .library))
    }
}

extension Encoder {
    /// The wording that the encoder's reader asked for, if any.
    package var readersWording: FerryError.Wording? {
        userInfo[FerryError.Wording.userInfoKey] as? FerryError.Wording
    }
}
