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
        // "Tell me when…" and "叫我…" are timers only with a length ("tell me when ten minutes are up", "十分钟后叫我");
        // otherwise they are questions and names.
        let length = englishDuration(english) ?? chineseDuration(han)
        let strongEnglish = englishCues.contains { english.contains(" \($0) ") }
        let strongChinese = chineseCues.contains { han.contains($0) }
        let asks = strongEnglish || strongChinese
            || (length != nil && (weakEnglishCues.contains { english.contains(" \($0) ") } || weakChineseCues.contains { han.contains($0) }))
        guard asks else { return nil }
        if englishRepeats.contains(where: { english.contains(" \($0) ") }) || chineseRepeats.contains(where: { han.contains($0) }) {
            return .recurring
        }
        guard let seconds = length else { return .withoutLength }
        if seconds > longestSeconds { return .tooLong(seconds: seconds) }
        return .timer(seconds: max(seconds, shortestSeconds))
    }

    // MARK: English

    static let englishCues = ["timer", "remind me", "reminder", "alarm"]
    static let weakEnglishCues = ["tell me when", "let me know when", "wake me", "call me", "beep", "tell me in", "say when", "let me know in"]
    static let englishRepeats = ["every day", "everyday", "every morning", "every night", "every evening", "every week", "each day",
                                 "each morning", "each night", "daily", "every monday", "every tuesday", "every wednesday", "every thursday",
                                 "every friday", "every saturday", "every sunday", "every school day", "always remind", "every time"]
    static let numberWords: [String: Int] = [
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
        "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "couple": 2, "few": 3,
    ]

    static func englishDuration(_ plain: String) -> Int? {
        if plain.contains(" half an hour ") || plain.contains(" half hour ") { return 30 * 60 }
        if plain.contains(" quarter of an hour ") || plain.contains(" quarter hour ") { return 15 * 60 }
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
            if let number = Int(words[position]) {
                amount = number
            } else if let value = numberWords[words[position]] {
                amount = value
                if position > 0, value < 10, let tens = numberWords[words[position - 1]], tens >= 20, tens % 10 == 0 { amount += tens }
            } else {
                continue
            }
            return amount * unit
        }
        return nil
    }

    // MARK: Chinese

    static let chineseCues = ["提醒我", "定时", "计时", "闹钟", "提醒一下"]
    static let weakChineseCues = ["叫我", "告诉我", "喊我", "通知我"]
    static let chineseRepeats = ["每天", "每晚", "每周", "每个星期", "每星期", "每早", "天天", "每次", "每个晚上", "每个早上", "每一天"]
    static let chineseDigits: [Character: Int] = ["零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9]

    static func chineseDuration(_ han: String) -> Int? {
        if han.contains("半小时") || han.contains("半个小时") || han.contains("半个钟头") { return 30 * 60 }
        if han.contains("一刻钟") { return 15 * 60 }
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
            guard let amount = Int(number) ?? chineseNumber(number) else { continue }
            return amount * seconds
        }
        return nil
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
