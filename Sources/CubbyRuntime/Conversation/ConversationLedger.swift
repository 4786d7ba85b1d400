import CubbyCore
import CubbyHardware
import CubbyMemory
import Foundation
import Logging

/// Keeps the record of conversations opening and closing: the store, the listening light and the
/// journal move together, so the light is on exactly while a conversation is open.
struct ConversationLedger {
    let conversations: ConversationStore
    let light: any Indicator
    let journal: ConversationJournal
    let clock: any CubbyClock
    let logger: Logger

    /// Returns the stored conversation's id; nil when it could not be recorded (a full or failing disk
    /// must not silence the toy: the conversation goes unrecorded).
    func open(_ reason: OpenReason, persona: String) -> Int64? {
        var id: Int64?
        do {
            id = try conversations.open(personaID: persona, openedBy: reason.rawValue, at: clock.date)
        } catch {
            logger.error("could not record the conversation; answering without recording it", metadata: ["error": "\(error)"])
        }
        light.set(true)
        journal.opened(reason)
        return id
    }

    func close(_ id: Int64?, reason: String) {
        do { if let id { try conversations.close(id, at: clock.date) } } catch {
            logger.error("could not record the end of the conversation", metadata: ["error": "\(error)"])
        }
        light.set(false)
        journal.closed(reason)
    }
}
