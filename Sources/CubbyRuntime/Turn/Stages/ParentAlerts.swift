import CubbyCore
import CubbyMemory
import CubbySafety
import Foundation
import Logging

/// A disclosure of harm is kept for the parents with the words and the time, whatever else happens.
struct ParentAlerts: Sendable {
    var alerts: AlertStore
    var clock: any CubbyClock
    var logger: Logger
    /// Runs for each alert once it is stored (the parent's alert command).
    var notify: @Sendable (AlertRecord) -> Void = { _ in }

    /// Records the alert; returns its category.
    func raise(for verdict: SafetyVerdict, heard: String, conversationID: Int64?) -> SafetyCategory {
        let category = verdict.primaryCategory ?? .disclosure
        logger.warning("parent alert: the child may need help", metadata: ["category": "\(category.rawValue)"])
        do {
            var record = AlertRecord(conversationID: conversationID, raisedAt: clock.date, category: category.rawValue,
                                     excerpt: String(heard.prefix(500)), rules: verdict.ruleIDs)
            record.id = try alerts.raise(record)
            notify(record)
        } catch {
            logger.error("could not record the parent alert", metadata: ["error": "\(error)"])
        }
        return category
    }
}
