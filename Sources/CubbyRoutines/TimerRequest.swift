import Foundation

/// A child's spoken timer ("remind me in ten minutes", "set a timer for five minutes", "十分钟后提醒我"),
/// read on the device. A child may set one short timer; anything that repeats ("every day at seven") is a
/// parent's routine and is refused kindly.
public enum TimerRequest: Sendable, Equatable {
    /// A timer for this many seconds.
    case timer(seconds: Int)
    /// Something that repeats: only a parent can add it, through `cubby`.
    case recurring
    /// Longer than a child's timer may run.
    case tooLong(seconds: Int)
    /// A reminder asked for without a length ("remind me tomorrow"): the toy says what it can do.
    case withoutLength

    /// The longest timer a child can set by voice; longer belongs to a parent's reminder.
    public static let longestSeconds = 60 * 60
    public static let shortestSeconds = 10

    /// The request in `text`, or nil when it is not about a timer or reminder.
    public static func recognise(_ text: String) -> TimerRequest? {
        let lowered = text.lowercased().replacingOccurrences(of: "’", with: "'")
        let han = lowered.filter { !$0.isWhitespace && !$0.isPunctuation }
        let english = " " + String(lowered.map { $0.isLetter || $0.isNumber ? $0 : " " }).split(separator: " ").joined(separator: " ") + " "
        let englishLength = englishDuration(english)
        let chineseLength = chineseDuration(han)
        // A request is a timer word said as one ("set a timer", "remind me to…", "十分钟后提醒我"), or a softer
        // cue with a length said the way a timer's is ("tell me in ten minutes", "十分钟后叫我"). Otherwise
        // "can you remind me what a volcano is", "what's an alarm" and "告诉我一小时有多少分钟" are questions.
        let asksEnglish = englishRequest(english)
            || (englishLength?.asTimer == true && weakEnglishCues.contains { english.contains(" \($0) ") })
        let asksChinese = chineseCues.contains { han.contains($0) }
            || (chineseLength?.asTimer == true && weakChineseCues.contains { han.contains($0) })
        guard asksEnglish || asksChinese else { return nil }
        if english.contains(" every ") || englishRepeats.contains(where: { english.contains(" \($0) ") }) || chineseRepeats.contains(where: { han.contains($0) }) {
            return .recurring
        }
        guard let seconds = (asksEnglish ? englishLength?.seconds : nil) ?? chineseLength?.seconds ?? englishLength?.seconds else { return .withoutLength }
        if seconds > longestSeconds { return .tooLong(seconds: seconds) }
        return .timer(seconds: max(seconds, shortestSeconds))
    }

    /// A length, and whether it was said as a timer's ("in ten minutes", "for five minutes", "ten minutes are up").
    struct Length {
        var seconds: Int
        var asTimer: Bool
    }

    // MARK: English

    /// "set a timer", "timer for", "set an alarm", "remind me to/in/at/tomorrow…" (not "remind me what…").
    static func englishRequest(_ plain: String) -> Bool {
        for noun in ["timer", "alarm", "reminder"] {
            if ["set a", "set an", "set the", "set my", "start a", "start the", "make a", "need a", "want a"].contains(where: { plain.contains(" \($0) \(noun) ") })
                || plain.contains(" \(noun) for ") || plain.contains(" \(noun) in ") {
                return true
            }
        }
        guard let range = plain.range(of: " remind me ") else { return false }
        let next = plain[range.upperBound...].split(separator: " ").first.map(String.init) ?? ""
        return !["what", "who", "how", "why", "where", "which", "when", "of", "if", "whether"].contains(next)
    }

    static let weakEnglishCues = ["tell me when", "let me know when", "wake me", "call me", "beep", "tell me in", "say when", "let me know in",
                                  "tell me", "timer", "alarm", "remind me"]
    static let englishRepeats = ["everyday", "each day", "each morning", "each night", "daily", "always remind", "every time"]
    static let numberWords: [String: Int] = [
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
        "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "couple": 2, "few": 3,
    ]
    /// Any bigger is "too long" anyway; the cap keeps the arithmetic from overflowing.
    static let largestAmount = 100_000

    static func englishDuration(_ plain: String) -> Length? {
        let timerWords = ["in", "for", "after"]
        for (phrase, seconds) in [("half an hour", 1800), ("half hour", 1800), ("quarter of an hour", 900), ("quarter hour", 900)] {
            guard let range = plain.range(of: " \(phrase) ") else { continue }
            let before = plain[..<range.lowerBound].split(separator: " ").last.map(String.init) ?? ""
            return Length(seconds: seconds, asTimer: timerWords.contains(before) || plain.contains(" is up "))
        }
        let words = plain.split(separator: " ").map(String.init)
        for (index, word) in words.enumerated() {
            let unit: Int
            switch word {
            case "second", "seconds", "sec", "secs": unit = 1
            case "minute", "minutes", "min", "mins": unit = 60
            case "hour", "hours": unit = 3600
            default: continue
            }
            guard index > 0 else { continue }
            var amount = 0
            var position = index - 1
            // "twenty five", "a couple of", "10"
            if words[position] == "of", position > 0 { position -= 1 }
            if words[position].allSatisfy(\.isNumber) {
                guard let number = Int(words[position].prefix(6)), number > 0 else { continue }
                amount = number
            } else if let value = numberWords[words[position]] {
                amount = value
                if position > 0, value < 10, let tens = numberWords[words[position - 1]], tens >= 20, tens % 10 == 0 {
                    amount += tens
                    position -= 1
                }
            } else {
                continue
            }
            var before = position > 0 ? words[position - 1] : ""
            if ["a", "the"].contains(before), position > 1 { before = words[position - 2] }
            let rest = words[(index + 1)...].prefix(2).joined(separator: " ")
            return Length(seconds: min(amount, largestAmount) * unit,
                          asTimer: timerWords.contains(before) || rest == "are up" || rest == "is up" || rest.hasPrefix("from now"))
        }
        return nil
    }

    // MARK: Chinese

    static let chineseCues = ["提醒我", "帮我定时", "定个时", "定时器", "计时", "定个闹钟", "设个闹钟", "定闹钟", "设闹钟", "提醒一下"]
    static let weakChineseCues = ["叫我", "告诉我", "喊我", "通知我", "闹钟"]
    static let chineseRepeats = ["每天", "每晚", "每周", "每个星期", "每星期", "每早", "天天", "每次", "每个晚上", "每个早上", "每一天", "每隔",
                                 "每小时", "每个小时", "每分钟"]
    static let chineseDigits: [Character: Int] = ["零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9]

    static func chineseDuration(_ han: String) -> Length? {
        // "一个半小时": an hour and a half.
        if han.contains("个半小时") || han.contains("个半钟头") { return Length(seconds: 5400, asTimer: true) }
        for (phrase, seconds) in [("半小时", 1800), ("半个小时", 1800), ("半个钟头", 1800), ("一刻钟", 900)] {
            guard let range = han.range(of: phrase) else { continue }
            return Length(seconds: seconds, asTimer: asTimer(han, before: range.lowerBound, after: range.upperBound))
        }
        let units: [(String, Int)] = [("分钟", 60), ("秒钟", 1), ("个小时", 3600), ("小时", 3600), ("个钟头", 3600), ("钟头", 3600), ("秒", 1)]
        for (unit, seconds) in units {
            guard let range = han.range(of: unit) else { continue }
            // The number just before the unit: digits or Chinese numerals.
            var number = ""
            var index = range.lowerBound
            while index > han.startIndex {
                let before = han.index(before: index)
                let character = han[before]
                guard character.isASCII && character.isNumber || chineseDigits[character] != nil || character == "十" || character == "百" else { break }
                number.insert(character, at: number.startIndex)
                index = before
            }
            guard let amount = (number.count <= 6 ? Int(number) : nil) ?? chineseNumber(String(number.prefix(6))), amount > 0 else { continue }
            return Length(seconds: min(amount, largestAmount) * seconds, asTimer: asTimer(han, before: index, after: range.upperBound))
        }
        return nil
    }

    /// "十分钟后", "十分钟以后", "过十分钟", "定时十分钟": a length said as a timer's.
    static func asTimer(_ han: String, before start: String.Index, after end: String.Index) -> Bool {
        let next = han[end...].first
        let previous = start > han.startIndex ? han[han.index(before: start)] : nil
        return next == "后" || next == "以" || next == "之" || previous == "过" || previous == "时" || previous == "等"
    }

    /// 十 = 10, 十五 = 15, 二十 = 20, 二十五 = 25, 一百 = 100, 三 = 3.
    static func chineseNumber(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        var total = 0
        var current = 0
        for character in text {
            if let digit = chineseDigits[character] {
                current = digit
            } else if character == "十" {
                total += (current == 0 ? 1 : current) * 10
                current = 0
            } else if character == "百" {
                total += (current == 0 ? 1 : current) * 100
                current = 0
            } else {
                return nil
            }
        }
        return total + current
    }
}
