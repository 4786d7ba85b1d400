/// What the toy says about a child's timer, in English and Chinese. Each passes the toy's own filter (tested).
public struct TimerLines: Sendable, Equatable {
    /// The timer is set; `{length}` is "ten minutes" or "十分钟".
    public var set: String
    /// The timer's end; said when it rings.
    public var done: String
    public var onlyGrownUpsRepeat: String
    public var tooLong: String
    public var withoutLength: String
    public var tooMany: String

    public static let english = TimerLines(
        set: "Okay! I'll tell you when {length} are up.",
        done: "Ding ding! Your {length} are up!",
        onlyGrownUpsRepeat: "Everyday reminders are a job for your grown-up. How about a short timer, like ten minutes?",
        tooLong: "That's a long time! I can keep a timer for up to an hour. A grown-up can set longer reminders.",
        withoutLength: "Want a timer? Say how long, like: remind me in ten minutes.",
        tooMany: "Three timers are already ticking. Let's wait for one of them to ring first!")

    public static let chinese = TimerLines(
        set: "好的！{length}到了我就告诉你。",
        done: "叮咚！{length}到啦！",
        onlyGrownUpsRepeat: "每天都要重复的提醒只有大人才能设置哦。我可以帮你定一个短短的计时，比如十分钟！",
        tooLong: "这个时间太长啦！我最多可以计时一个小时。更长的提醒请大人来设置吧。",
        withoutLength: "我可以帮你定一个短短的计时。你可以说：十分钟后提醒我。",
        tooMany: "我已经在帮你记着三个计时啦，我们先等等其中一个吧！")

    public static func builtIn(for locale: String) -> TimerLines { locale == "zh" ? .chinese : .english }

    /// "ten minutes", "90 seconds", "一小时" — how long a timer runs, said the child's way.
    public func length(_ seconds: Int, locale: String) -> String {
        let chinese = locale == "zh"
        if seconds % 3600 == 0 { return chinese ? "\(seconds / 3600)小时" : (seconds == 3600 ? "an hour" : "\(seconds / 3600) hours") }
        if seconds % 60 == 0 {
            let minutes = seconds / 60
            if chinese { return "\(minutes)分钟" }
            let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
                         "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
            let number = minutes < words.count ? words[minutes] : "\(minutes)"
            return minutes == 1 ? "one minute" : "\(number) minutes"
        }
        return chinese ? "\(seconds)秒" : "\(seconds) seconds"
    }

    public func filled(_ line: String, seconds: Int, locale: String) -> String {
        var text = line.replacingOccurrences(of: "{length}", with: length(seconds, locale: locale))
        // "one minute are up" reads wrong; so does "an hour are up".
        if seconds == 60 || seconds == 3600 { text = text.replacingOccurrences(of: " are up", with: " is up") }
        return text
    }
}
