/// Text of two non-empty names joined by a separator, such as `devices=42`
/// or `readings.taken_at`.
enum NamedPair {
    /// The two parts around the first (or, with `last`, the last) separator;
    /// nil when it is missing or either part is empty.
    static func split(_ text: String, at separator: Character, last: Bool = false) -> (
        String, String
    )? {
        guard let index = last ? text.lastIndex(of: separator) : text.firstIndex(of: separator),
            index != text.startIndex, text.index(after: index) != text.endIndex
        else { return nil }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }
}
