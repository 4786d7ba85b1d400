import CubbyCore
import CubbyMemory
import Foundation

/// The learning game's score for one day, kept in the toy's memory so a game picks up where it left off
/// and the parents' app can show it.
public struct GameScore: Sendable, Equatable, Codable {
    /// The day, "YYYY-MM-DD" in the toy's calendar.
    public var day: String
    public var right: Int
    public var asked: Int

    public init(day: String, right: Int, asked: Int) {
        self.day = day
        self.right = right
        self.asked = asked
    }

    static let key = "learning_game.score"

    /// "YYYY-MM-DD" of `date` in `calendar`: the day a score belongs to.
    public static func day(of date: Date, calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Today's score (zero when the stored one is from another day).
    public static func today(_ settings: SettingStore, day: String) throws(CubbyError) -> GameScore {
        guard let stored = try settings.value(key), let score = try? JSONDecoder().decode(GameScore.self, from: Data(stored.utf8)),
              score.day == day else { return GameScore(day: day, right: 0, asked: 0) }
        return score
    }

    /// Counts one answer and stores the new score.
    @discardableResult
    public static func record(correct: Bool, _ settings: SettingStore, day: String, at date: Date) throws(CubbyError) -> GameScore {
        var score = try today(settings, day: day)
        score.asked += 1
        if correct { score.right += 1 }
        let json = String(decoding: (try? JSONEncoder().encode(score)) ?? Data(), as: UTF8.self)
        try settings.set([key: json], at: date)
        return score
    }
}
