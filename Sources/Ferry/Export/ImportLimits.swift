import Foundation

/// The values a target engine's columns cannot keep as they are, whatever
/// the column's type: an import from another engine refuses each with its
/// table, key and column (a dry run lists it), where the engine would
/// change it without a word (SQLite stores a NaN as NULL) or stop the load
/// with a message that names no row (PostgreSQL refuses a NUL in a text).
public struct ImportLimits: Sendable, Equatable {
    /// Whether a real may be NaN.
    public var keepsNaN: Bool
    /// Whether a text may hold the character NUL (U+0000).
    public var keepsNULInText: Bool

    /// Creates the limits of an engine.
    public init(keepsNaN: Bool, keepsNULInText: Bool) {
        self.keepsNaN = keepsNaN
        self.keepsNULInText = keepsNULInText
    }

    /// Whether every value is kept: nothing to check.
    var keepsEverything: Bool { keepsNaN && keepsNULInText }

    /// Why the engine cannot keep a value as it is, or nil when it can.
    func refusal(of value: ExportValue) -> String? {
        switch value {
        case .real(let real) where !keepsNaN && real.isNaN:
            return "is NaN, which this engine would store as NULL"
        case .text(var text) where !keepsNULInText:
            // memchr: on the hot path of every text of a move, the generic scan cost 6%.
            let holdsNUL = text.withUTF8 { bytes in
                bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false
            }
            return holdsNUL
                ? "holds the character NUL (U+0000), which this engine's texts cannot" : nil
        default:
            return nil
        }
    }
}
