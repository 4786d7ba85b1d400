import CubbyRuntime
import CubbySafety
import Foundation

/// The JSON that `cubbyd --once` prints: the whole conversation at the top level (what was heard, said and
/// held back, in order), the first turn's latencies, and each turn in detail.
struct OnceSummary: Encodable {
    struct Blocked: Encodable {
        var sentence: String
        var category: String
    }

    struct Turn: Encodable {
        var heard: String
        var said: [String]
        var blocked: [Blocked]
        var outcome: String
        var failure: String?
        var timings: TurnTimings
        /// What the safety filter did with the child's words ("pass", "redact", "guide", ...).
        var inbound: String?
        var inboundCategories: [String]
        /// What left the device of the child's words (personal details replaced).
        var sent: String?
        var alert: String?

        enum CodingKeys: String, CodingKey {
            case heard, said, blocked, outcome, failure, timings, inbound, sent, alert
            case inboundCategories = "inbound_categories"
        }
    }

    var heard: String
    var said: [String]
    var blocked: [Blocked]
    var timings: TurnTimings
    var outcome: String
    var openedBy: String?
    var turns: [Turn]
    var bargeIns: [BargeIn]
    /// What the toy said because of the parent's limits (bedtime, see you tomorrow, reminders).
    var limits: [Announcement]
    var output: String
    var persona: String

    enum CodingKeys: String, CodingKey {
        case heard, said, blocked, timings, outcome, turns, output, persona, limits
        case openedBy = "opened_by"
        case bargeIns = "barge_ins"
    }

    init(journal: ConversationJournal, output: String, persona: String) {
        let turns = journal.turns.map { report in
            Turn(heard: report.heard, said: report.said,
                 blocked: report.blocked.map { Blocked(sentence: $0.sentence, category: $0.category) },
                 outcome: report.outcome.rawValue, failure: report.failure, timings: report.timings,
                 inbound: report.inbound?.action.rawValue, inboundCategories: report.inbound?.categories.map(\.rawValue) ?? [],
                 sent: report.sentText, alert: report.alertCategory)
        }
        self.turns = turns
        bargeIns = journal.bargeIns
        limits = journal.announcements
        heard = turns.map(\.heard).filter { !$0.isEmpty }.joined(separator: " ")
        said = turns.flatMap(\.said)
        blocked = turns.flatMap(\.blocked)
        timings = turns.first?.timings ?? TurnTimings()
        openedBy = journal.openedBy.first?.rawValue
        if let first = turns.first {
            outcome = first.outcome
        } else if let refusal = journal.announcements.first(where: \.refused) {
            outcome = "refused_\(refusal.kind)"
        } else {
            outcome = openedBy == nil ? "not_woken" : "no_speech"
        }
        self.output = output
        self.persona = persona
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}
