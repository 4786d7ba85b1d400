import Foundation

/// What happened in the conversations of one run, for `--once`'s JSON and for tests.
public final class ConversationJournal: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    private let lock = NSLock()
    private var _turns: [TurnReport] = []
    private var _openedBy: [OpenReason] = []
    private var _closeReasons: [String] = []

    public init() {}

    public var turns: [TurnReport] { lock.withLock { _turns } }
    public var openedBy: [OpenReason] { lock.withLock { _openedBy } }
    public var closeReasons: [String] { lock.withLock { _closeReasons } }

    func opened(_ reason: OpenReason) { lock.withLock { _openedBy.append(reason) } }
    func closed(_ reason: String) { lock.withLock { _closeReasons.append(reason) } }
    func answered(_ report: TurnReport) { lock.withLock { _turns.append(report) } }
}
