import CubbyCore
import CubbyMemory
import Foundation
import Logging

/// Writes the whole turn in one transaction at its end, also when the turn was interrupted, so the store
/// never holds half a turn.
struct TurnRecorder: Sendable {
    var conversations: ConversationStore
    var clock: any CubbyClock
    var logger: Logger

    func record(_ turn: TurnReport, of input: TurnInput) {
        guard let conversationID = input.conversationID else { return }
        var record = TurnRecord(conversationID: conversationID, startedAt: input.startedAt, endedAt: clock.date, childText: turn.heard,
                                outcome: turn.outcome, sentences: turn.sentences, failure: turn.failure)
        record.inboundAction = turn.inbound?.action.rawValue
        record.inboundCategories = turn.inbound?.categories.map(\.rawValue) ?? []
        record.sentText = turn.sentText
        do {
            try conversations.record(record)
        } catch {
            logger.error("could not record the turn", metadata: ["error": "\(error)"])
        }
    }
}
