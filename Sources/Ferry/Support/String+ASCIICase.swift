extension StringProtocol {
    /// Whether the text holds `word`, whatever the case of its ASCII letters:
    /// an SQL keyword or a pragma's name in a script.
    ///
    /// It compares the UTF-8 bytes in place, without the lowercased copy of
    /// the whole text that `lowercased().contains(_:)` makes, and without
    /// Foundation's search, which converts the text to UTF-16 first: a
    /// fleet's upgrades spent 4% of their time on that, looking through
    /// every script they ran for two pragma names. (The generic
    /// `firstRange(of:)` over a lazily lowercased view took six times as long.)
    ///
    /// - Parameter word: What to find; its own case does not matter either.
    package func containsIgnoringASCIICase(_ word: some StringProtocol) -> Bool {
        let word = word.utf8.map(\.asciiLowercased)
        var text = String(self)
        return text.withUTF8 { bytes in
            guard let first = word.first else { return true }
            guard bytes.count >= word.count else { return false }
            var start = 0
            while start <= bytes.count - word.count {
                if bytes[start].asciiLowercased == first {
                    var matched = 1
                    while matched < word.count
                        && bytes[start + matched].asciiLowercased == word[matched]
                    {
                        matched += 1
                    }
                    if matched == word.count { return true }
                }
                start += 1
            }
            return false
        }
    }
}

extension UInt8 {
    /// The byte with an ASCII capital letter turned into its small letter.
    fileprivate var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self + 32 : self
    }
}
