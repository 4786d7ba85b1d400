/// The names a configuration, a board file or a persona pack gives things (scenes, motors, lights,
/// motions, light patterns): 1-32 characters of a-z and 0-9, with `_` and, where a persona's expressions
/// name them ("hug-squeeze"), `-`.
public enum NameCheck {
    /// A name of a-z, 0-9 and `_`.
    public static func isName(_ text: String) -> Bool { isName(text, hyphens: false) }

    /// A name of a-z, 0-9, `_` and `-` (motions and light patterns).
    public static func isCue(_ text: String) -> Bool { isName(text, hyphens: true) }

    static func isName(_ text: String, hyphens: Bool) -> Bool {
        (1...32).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || (hyphens && $0 == "-")) }
    }
}
