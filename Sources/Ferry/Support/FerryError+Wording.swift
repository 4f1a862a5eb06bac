import Foundation

extension FerryError {
    /// What an error's text names for its reader to act on: a setting to
    /// change or a command to run.
    ///
    /// A message holds a remedy as a mark (written by interpolating a
    /// ``Setting`` or a ``Command``), and a ``Wording`` turns each mark into
    /// its reader's words when the message is read.
    public enum Remedy: Hashable, Sendable {
        /// A setting, with the value the message gives it, if any.
        case setting(Setting, value: Setting.Value?)
        /// A command, to run or named inside a sentence.
        case command(Command, form: Command.Form)

        /// The library's words: the Swift property an application sets, or
        /// the call it makes.
        public var libraryWords: String {
            switch self {
            case .setting(let setting, let value): return setting.property(with: value)
            case .command(let command, _): return command.call
            }
        }

        // Private-use characters, which no message holds otherwise, open and
        // close a remedy's mark and part its fields.
        static let opening: Character = "\u{E000}"
        static let closing: Character = "\u{E001}"
        static let separator: Character = "\u{E002}"

        /// The remedy's mark in a message's text, until the message is worded.
        var mark: String {
            let fields: [String]
            switch self {
            case .setting(let setting, let value):
                let valueFields: [String]
                switch value {
                case nil: valueFields = []
                case .placeholder: valueFields = ["placeholder"]
                case .given(let given, let swift):
                    valueFields = ["given", given] + (swift.map { [$0] } ?? [])
                }
                fields = ["setting", setting.name, setting.property] + valueFields
            case .command(let command, let form):
                fields = ["command", form.rawValue, command.name, command.call] + command.arguments
            }
            return String(Self.opening) + fields.joined(separator: String(Self.separator))
                + String(Self.closing)
        }

        /// Reads a mark's fields back (nil for a mark that is not one).
        init?(markFields fields: [String]) {
            switch fields.first {
            case "setting" where fields.count >= 3:
                let setting = Setting(name: fields[1], property: fields[2])
                switch fields.dropFirst(3).first {
                case nil: self = .setting(setting, value: nil)
                case "placeholder": self = .setting(setting, value: .placeholder)
                default:
                    self = .setting(
                        setting,
                        value: .given(
                            fields.dropFirst(4).first ?? "", swift: fields.dropFirst(5).first))
                }
            case "command" where fields.count >= 4:
                guard let form = Command.Form(rawValue: fields[1]) else { return nil }
                self = .command(
                    Command(
                        name: fields[2], arguments: Array(fields.dropFirst(4)), call: fields[3]),
                    form: form)
            default:
                return nil
            }
        }
    }

    /// Who reads an error, which decides how it words the settings and
    /// commands it names (its ``Remedy``s).
    ///
    /// The library's wording is ``library``. A program that shows errors in
    /// its own words supplies a wording of its own: the `ferry` tool's knows
    /// its flags and command lines, which the core does not.
    public struct Wording: Sendable {
        private let words: @Sendable (Remedy) -> String

        /// Creates a wording that words each remedy with `words`.
        public init(_ words: @escaping @Sendable (Remedy) -> String) {
            self.words = words
        }

        /// An application that embeds the library: Swift properties and calls.
        public static let library = Wording { $0.libraryWords }

        /// The key under which an encoder's `userInfo` holds the wording of
        /// the errors it encodes (the library's when absent).
        public static let userInfoKey = CodingUserInfoKey(rawValue: "ferry.errorWording")!

        /// Replaces every remedy's mark in a text with its words.
        public func apply(to text: String) -> String {
            guard text.contains(Remedy.opening) else { return text }
            var result = ""
            var rest = Substring(text)
            while let start = rest.firstIndex(of: Remedy.opening),
                let end = rest[start...].firstIndex(of: Remedy.closing)
            {
                result += rest[..<start]
                let fields = rest[rest.index(after: start)..<end].split(
                    separator: Remedy.separator, omittingEmptySubsequences: false
                ).map(String.init)
                result += Remedy(markFields: fields).map(words) ?? fields.dropFirst().first ?? ""
                rest = rest[rest.index(after: end)...]
            }
            return result + rest
        }
    }
}
