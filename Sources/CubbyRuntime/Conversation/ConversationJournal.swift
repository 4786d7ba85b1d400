import Foundation
import Synchronization

/// What happened in the conversations of one run, for `--once`'s JSON and for tests.
public final class ConversationJournal: Sendable {
    private struct Entries {
        var turns: [TurnReport] = []
        var openedBy: [OpenReason] = []
        var closeReasons: [String] = []
        var bargeIns: [BargeIn] = []
        var announcements: [Announcement] = []
        var scenes: [String] = []
    }

    private let entries = Mutex(Entries())

    public init() {}

    public var turns: [TurnReport] { entries.withLock { $0.turns } }
    public var openedBy: [OpenReason] { entries.withLock { $0.openedBy } }
    public var closeReasons: [String] { entries.withLock { $0.closeReasons } }
    public var bargeIns: [BargeIn] { entries.withLock { $0.bargeIns } }
    /// What the toy said on its own, outside any answer: about time and limits, routines, scenes' openings.
    public var announcements: [Announcement] { entries.withLock { $0.announcements } }

    /// The scenes conversations entered, in order.
    public var scenes: [String] { entries.withLock { $0.scenes } }

    func enteredScene(_ id: String) { entries.withLock { $0.scenes.append(id) } }
    func opened(_ reason: OpenReason) { entries.withLock { $0.openedBy.append(reason) } }
    func closed(_ reason: String) { entries.withLock { $0.closeReasons.append(reason) } }
    func answered(_ report: TurnReport) { entries.withLock { $0.turns.append(report) } }
    func bargedIn(_ event: BargeIn) { entries.withLock { $0.bargeIns.append(event) } }
    func announced(_ announcement: Announcement) { entries.withLock { $0.announcements.append(announcement) } }
}

/// A line the toy said because of the parent's limits (or nothing, when quiet hours are set to ignore
/// the wake phrase), with why.
public struct Announcement: Sendable, Equatable, Encodable {
    /// `quiet_hours`, `daily_limit`, `sitting_limit`, `warning`, `rest_reminder`, `ai_reminder`.
    public var kind: String
    /// What was said; nil when the toy stayed silent.
    public var line: String?
    /// Whether a conversation was refused (or ended) by it.
    public var refused: Bool
}

/// The child interrupted the toy.
public struct BargeIn: Sendable, Equatable, Encodable {
    public var by: OpenReason
    /// Where in the capture stream the interruption was heard (the wake phrase's end, or the press).
    public var atSample: Int64
    /// From the interruption reaching the conversation loop to playback having stopped.
    public var stopMilliseconds: Int

    enum CodingKeys: String, CodingKey {
        case by
        case atSample = "at_sample"
        case stopMilliseconds = "stop_ms"
    }
}
