import CubbyCore
import CubbyMemory
import CubbyRoutines
import Foundation

/// Routines, as the loop carries them out. The scheduler says a routine's moment has come; here the
/// parent's rules decide what happens: nothing in quiet hours but bedtime's goodnight; a reminder (the parent's own words) is said
/// even when play time is used up, but no scene starts then; a routine that comes while the child is
/// talking waits — a reminder for the end of the answer, a scene for the end of the conversation.
extension ConversationLoop {
    func routineDue(_ due: RoutinePlanner.Due) async throws(CubbyError) -> Bool {
        // Quiet hours: nothing, except that a bedtime falling in them still says goodnight (without listening).
        if case .quietHours? = playtime.refusal(), !(due.routine.action == .scene && due.routine.scene == "bedtime") {
            logger.notice("a routine fell in quiet hours and was skipped", metadata: ["routine": "\(due.routine.id)"])
            try? parts.database.audit.record("routine.skipped", "\(due.routine.summary): quiet hours", at: parts.clock.date)
            return true
        }
        if state.conversation != nil || running != nil {
            pendingRoutines.append(due)
            return true
        }
        return try await perform(due)
    }

    func perform(_ due: RoutinePlanner.Due) async throws(CubbyError) -> Bool {
        let routine = due.routine
        switch routine.action {
        case .say:
            await sayFirst(routine.addedBy == .child ? "timer" : "routine", line: routine.text ?? "")
            return true
        case .scene:
            return try await startScene(routine.scene ?? "chat", by: .routine)
        }
    }

    /// Between answers: the reminders that came due while the toy was talking.
    func remindersBetweenTurns() async {
        let reminders = pendingRoutines.filter { $0.routine.action == .say }
        pendingRoutines.removeAll { $0.routine.action == .say }
        for due in reminders { _ = try? await perform(due) }
    }

    /// Once the conversation closed: what waited, if it is still within its grace.
    func routinesAfterConversation() async throws(CubbyError) -> Bool {
        let waiting = pendingRoutines
        pendingRoutines = []
        let now = parts.clock.date
        for due in waiting {
            guard due.routine.action == .say || now.timeIntervalSince(due.at) <= Double(due.routine.grace.components.seconds) else {
                try? parts.database.audit.record("routine.missed", "\(due.routine.summary): the child was still talking", at: now)
                continue
            }
            guard try await routineDue(due) else { return false }
        }
        return true
    }
}
