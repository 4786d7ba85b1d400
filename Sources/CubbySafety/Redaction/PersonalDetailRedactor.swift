import Foundation

/// Takes personal details out of what the child says before it leaves the device: addresses, phone
/// numbers, email addresses, card and ID numbers, school and class, and the names the parent listed.
/// Each is replaced by a placeholder ("[address]") so the model still understands the sentence.
///
/// Works on the text as heard (not the normalised form) so the model gets readable words back.
/// Detectors err on the side of removing: a number that only looks like a phone number costs the
/// conversation a little; a real one sent to a server cannot be taken back.
public struct PersonalDetailRedactor: Sendable {
    public struct Detector: Sendable {
        public var kind: String
        var expression: NSRegularExpression
        /// Which capture group to replace (0: the whole match).
        var group: Int
        /// A last check on the matched text (e.g. a card number's Luhn digit): the part of it to replace,
        /// which must be a suffix of it (leading words that are not part of a name stay), or nil.
        var accept: @Sendable (String) -> Substring?
    }

    public struct Result: Sendable, Equatable {
        public var text: String
        /// The kinds removed, in order of first appearance, without repeats.
        public var kinds: [String]
    }

    let detectors: [Detector]

    public init() {
        func rx(_ pattern: String, _ options: NSRegularExpression.Options = [.caseInsensitive]) -> NSRegularExpression {
            // The patterns are constants of this file; a typo is a programming error caught by the tests.
            try! NSRegularExpression(pattern: pattern, options: options)
        }
        let han = "\\p{Han}"
        let cnDigit = "[0-9零〇一二三四五六七八九十百幺两]"
        let spokenDigit = "(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
        detectors = [
            Detector(kind: "email", expression: rx("[A-Z0-9._%+-]+@[A-Z0-9.-]+\\.[A-Z]{2,}"), group: 0, accept: { $0[...] }),
            Detector(kind: "card number", expression: rx("(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])"), group: 0,
                     accept: { Self.passesLuhn($0) ? $0[...] : nil }),
            Detector(kind: "ID number", expression: rx("(?<![0-9])(?:[0-9]{17}[0-9X]|[0-9]{3}-[0-9]{2}-[0-9]{4})(?![0-9])"), group: 0,
                     accept: { $0[...] }),
            Detector(kind: "phone number", expression: rx("(?<![0-9])\\+?[0-9](?:[ ().-]{0,2}[0-9]){6,14}(?![0-9])"), group: 0,
                     accept: { $0.filter(\.isNumber).count >= 7 ? $0[...] : nil }),
            Detector(kind: "phone number", expression: rx("(?:\\b\(spokenDigit)\\b[ ,-]*){7,}"), group: 0, accept: { $0[...] }),
            Detector(kind: "phone number", expression: rx("[零〇一二三四五六七八九幺两]{7,}"), group: 0, accept: { $0[...] }),
            Detector(kind: "address", expression: rx(
                "\\b[0-9]{1,5}[a-z]?\\s+(?:[a-z][a-z'.-]*\\s+){1,4}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|court|ct|boulevard|blvd|way|place|pl|terrace|close|crescent|highway|hwy)\\b\\.?"),
                     group: 0, accept: { $0[...] }),
            Detector(kind: "address", expression: rx(
                "\\b(?:i live|we live|my house is|our house is|i stay)\\s+(?:at|on)\\s+([^.,!?;]{3,60})"), group: 1, accept: { $0[...] }),
            Detector(kind: "address", expression: rx("\\b(?:my|our) (?:home )?address is\\s+([^.!?;]{3,80})"), group: 1, accept: { $0[...] }),
            Detector(kind: "address", expression: rx(
                "(?:\(han){2,8}(?:省|市|区|县))?\(han){1,10}(?:路|街|大道|大街|巷|胡同)(?:\(cnDigit){1,6}(?:号|弄|栋|幢|楼|单元|室))*"),
                     // Not 弄 after a name: a lane is numbered ("长乐路123弄", matched by the number part), and 弄 is also a verb
                     // ("撞到桌子弄的").
                     group: 0, accept: { Self.hanNameBeforeSuffix($0, suffixes: ["路", "街", "大道", "大街", "巷", "胡同"]) }),
            Detector(kind: "address", expression: rx(
                "\(han){2,10}(?:小区|花园|公寓|新村|家园)(?:\(cnDigit){1,6}(?:号楼|号|栋|幢|楼|单元|室))*"),
                     group: 0, accept: { Self.hanNameBeforeSuffix($0, suffixes: ["小区", "花园", "公寓", "新村", "家园"]) }),
            Detector(kind: "address", expression: rx("\(cnDigit){1,4}(?:号楼|栋|幢)(?:\(cnDigit){1,4}(?:单元|室|号))+"), group: 0, accept: { $0[...] }),
            Detector(kind: "school", expression: rx(
                "\\b(?:i go to|i attend|my school is|i'm at|im at|i am at)\\s+((?:[a-z][a-z'.-]*\\s+){0,4}(?:elementary|primary|middle|high|grammar|montessori)?\\s*(?:school|academy|kindergarten|preschool|nursery))"),
                     group: 1, accept: { $0[...] }),
            Detector(kind: "school", expression: rx(
                "\\b(?:[A-Z][a-z'.-]+\\s+){1,4}(?:Elementary|Primary|Middle|High|Grammar|Montessori|Public)?\\s*(?:School|Academy|Kindergarten|Preschool)\\b",
                []), group: 0, accept: { $0[...] }),
            Detector(kind: "class", expression: rx("\\b(?:mr|mrs|ms|miss)\\.?\\s+[a-z][a-z'-]+(?:'s|s)?\\s+class\\b|\\bclass\\s+[0-9]+[a-z]?\\b"), group: 0,
                     accept: { $0[...] }),
            Detector(kind: "school", expression: rx("\(han){2,10}(?:小学|中学|幼儿园|初中|高中|学校)"), group: 0,
                     accept: { Self.hanNameBeforeSuffix($0, suffixes: ["小学", "中学", "幼儿园", "初中", "高中", "学校"]) }),
            // A class is the child's own when it comes with its grade or after "I am in" ("我在三班"); "we beat
            // class three at tug of war" (把三班打得落花流水) names no one.
            Detector(kind: "class", expression: rx("\(cnDigit){1,3}年级\(cnDigit){1,3}班|(?<=我在|我是|我读|我们是|我们在)\(cnDigit){1,3}班"),
                     group: 0, accept: { $0[...] }),
        ]
    }

    /// Replaces every detected detail, and every listed name, by its placeholder.
    public func redact(_ text: String, names: [String] = []) -> Result {
        var current = text
        var kinds: [String] = []
        for detector in detectors {
            let matches = detector.expression.matches(in: current, range: NSRange(current.startIndex..., in: current))
            var replaced = false
            for match in matches.reversed() {
                let range = match.range(at: detector.group)
                guard range.location != NSNotFound, let swiftRange = Range(range, in: current) else { continue }
                // Separators a detector swallowed at its end ("five five five ") stay in the sentence.
                var trimmed = swiftRange
                while trimmed.lowerBound < trimmed.upperBound, let last = current[trimmed].last, last == " " || last == "," || last == "-" {
                    trimmed = trimmed.lowerBound..<current.index(before: trimmed.upperBound)
                }
                let found = String(current[trimmed])
                guard !found.contains("["), let part = detector.accept(found) else { continue }
                let start = current.index(trimmed.upperBound, offsetBy: -part.count)
                current.replaceSubrange(start..<trimmed.upperBound, with: "[\(detector.kind)]")
                replaced = true
            }
            if replaced && !kinds.contains(detector.kind) { kinds.append(detector.kind) }
        }
        // Names last: a listed name inside an address or school is already inside its placeholder.
        for name in names.map({ $0.trimmingCharacters(in: .whitespaces) }) where name.count >= 2 {
            let pattern = "(?<![\\p{L}])" + NSRegularExpression.escapedPattern(for: name) + "(?![\\p{L}&&[^\\p{Han}]])"
            guard let expression = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { continue }
            let replaced = expression.stringByReplacingMatches(in: current, range: NSRange(current.startIndex..., in: current),
                                                               withTemplate: "[name]")
            if replaced != current, !kinds.contains("name") { kinds.append("name") }
            current = replaced
        }
        return Result(text: current, kinds: kinds)
    }

    /// Card numbers carry a check digit; a long number that fails it is left to the phone detector.
    static func passesLuhn(_ candidate: String) -> Bool {
        let digits = candidate.compactMap(\.wholeNumberValue)
        guard (13...19).contains(digits.count) else { return false }
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            if offset % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    /// Words a child says just before a place word that are not part of its name ("我不想去幼儿园",
    /// "我们在学校"): the match only counts when a real name of two or more characters is left.
    static let hanFunctionCharacters: Set<Character> = Set("我你他她它们的了在去到上回是说想要和跟从不没很也都就还这那个里家过走条一")

    /// Time words a child puts before a place ("今天幼儿园消防演习"): not part of its name.
    static let hanTimeWords = ["今天", "明天", "昨天", "后天", "前天", "每天", "天天", "今年", "明年", "去年", "现在", "以后", "以前",
                               "早上", "上午", "中午", "下午", "晚上", "周末", "放学", "开学"]

    static func hanNameBeforeSuffix(_ found: String, suffixes: [String]) -> Substring? {
        guard let range = suffixes.compactMap({ found.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        let before = found[..<range.lowerBound]
        var name = before.suffix(before.reversed().prefix { !hanFunctionCharacters.contains($0) }.count)
        while let word = hanTimeWords.first(where: { name.hasPrefix($0) }) { name = name.dropFirst(word.count) }
        guard name.count >= 2 else { return nil }
        return found[name.startIndex...]
    }
}
