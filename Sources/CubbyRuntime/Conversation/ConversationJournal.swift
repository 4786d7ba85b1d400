import Foundation

/// What happened in the conversations of one run, for `--once`'s JSON and for tests.
public final class ConversationJournal: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    private let lock = NSLock()
    private var _turns: [TurnReport] = []
    private var _openedBy: [OpenReason] = []
    private var _closeReasons: [String] = []
    private var _bargeIns: [BargeIn] = []

    public init() {}

    public var turns: [TurnReport] { lock.withLock { _turns } }
    public var openedBy: [OpenReason] { lock.withLock { _openedBy } }
    public var closeReasons: [String] { lock.withLock { _closeReasons } }
    public var bargeIns: [BargeIn] { lock.withLock { _bargeIns } }

    func opened(_ reason: OpenReason) { lock.withLock { _openedBy.append(reason) } }
    func closed(_ reason: String) { lock.withLock { _closeReasons.append(reason) } }
    func answered(_ report: TurnReport) { lock.withLock { _turns.append(report) } }
    func bargedIn(_ event: BargeIn) { lock.withLock { _bargeIns.append(event) } }
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
