import CubbyControl
import CubbyCore
import CubbyMemory
import CubbyParents
import Foundation

/// The parents' commands on the control channel: reading what the toy did (status, history, alerts,
/// logs, settings) and changing its settings, the cloud key, and the unlock that spares the PIN for a while.
struct ParentsCommands: Sendable {
    let settings: ConfigurationSettings
    let status: ToyStatus
    let unlocks: ParentUnlocks
    let database: CubbyDatabase
    let live: LiveSettings
    let clock: any CubbyClock

    /// Reading: allowed without the PIN to the socket's group when `[parents] read_without_pin` is true.
    static let reads: Set<String> = ["status", "history", "alerts.list", "logs", "settings.get",
                                     "persona.list", "memory.list", "memory.search"]
    static let commands = ["status", "history", "alerts.list", "alerts.ack", "logs", "settings.get", "settings.set", "cloud.key",
                           "consent.record", "unlock", "lock"]

    var readsNeedPIN: Bool { !live.current.configuration.parents.readWithoutPIN }

    /// The reply and its payload, or nil when `request` is not one of these commands.
    func handle(_ request: ControlRequest) async throws(CubbyError) -> (ControlReply, [UInt8])? {
        let arguments = request.arguments
        switch request.command {
        case "status":
            var reply = ControlReply()
            reply.status = try await status.current()
            return (reply, [])
        case "history":
            let limit = arguments["limit"].flatMap(Int.init).map { min(max($0, 1), 10_000) } ?? 20
            let since = try arguments["since"].map { text throws(CubbyError) -> Date in
                guard let day = ControlProtocol.day(text) else { throw CubbyError(.invalidConfiguration, "history: since must be a date like 2026-12-01") }
                return day
            }
            let flagged = arguments["flagged"] == "true"
            let database = database
            let turns = try await OffPoolBuild.work("history") { () throws(CubbyError) -> [TurnRecord] in
                try database.conversations.history(limit: limit, since: since, flagged: flagged)
            }
            return jsonLines(turns, "turns")
        case "alerts.list":
            let limit = arguments["limit"].flatMap(Int.init).map { min(max($0, 1), 10_000) } ?? 20
            return jsonLines(try database.alerts.recent(limit: limit), "alerts")
        case "alerts.ack":
            let ids: [Int64]
            if arguments["all"] == "true" {
                ids = try database.alerts.recent(limit: 100_000).filter { $0.seenAt == nil }.compactMap(\.id)
            } else {
                ids = (arguments["ids"] ?? "").split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
                guard !ids.isEmpty else { throw CubbyError(.invalidConfiguration, "alerts.ack needs ids = \"1,2,3\" or all = \"true\"") }
            }
            try database.alerts.markSeen(ids, at: clock.date)
            try database.audit.record("alerts.ack", "\(ids.count) alerts marked seen", at: clock.date)
            return (ControlReply(message: "marked \(ids.count) alert\(ids.count == 1 ? "" : "s") as seen"), [])
        case "logs":
            let limit = arguments["limit"].flatMap(Int.init).map { min(max($0, 1), 10_000) } ?? 100
            return jsonLines(try database.audit.entries(limit: limit), "log entries")
        case "settings.get":
            var reply = ControlReply()
            let all = settings.values()
            if let key = arguments["key"] {
                guard let value = all[key] else {
                    throw CubbyError(.invalidConfiguration, "\(key.prefix(80)) is not a parent setting (they are: \(all.keys.sorted().joined(separator: ", ")))")
                }
                reply.settings = [key: value]
            } else {
                reply.settings = all
            }
            return (reply, [])
        case "settings.set":
            var changes: [String: String?] = [:]
            for (name, value) in arguments where name.hasPrefix("set.") { changes[String(name.dropFirst(4))] = value }
            for (name, _) in arguments where name.hasPrefix("unset.") { changes[String(name.dropFirst(6))] = .some(nil) }
            return (ControlReply(message: try await settings.set(changes)), [])
        case "cloud.key":
            guard let key = arguments["key"] else { throw CubbyError(.invalidConfiguration, "cloud.key needs the argument \"key\"") }
            return (ControlReply(message: try await settings.setCloudKey(key)), [])
        case "consent.record":
            let providers = String((arguments["providers"] ?? "none").prefix(2_000))
            try database.settings.set(["consent.accepted_at": "\(clock.date.timeIntervalSince1970)", "consent.providers": providers], at: clock.date)
            try database.audit.record("consent", "the parent agreed to what is collected and where it goes: \(providers)", at: clock.date)
            return (ControlReply(message: "your consent is recorded"), [])
        case "unlock":
            let minutes = live.current.configuration.parents.unlockMinutes
            let (token, expiry) = unlocks.unlock(minutes: minutes)
            try database.audit.record("unlock", "changes allowed without the PIN for \(minutes) minutes", at: clock.date)
            var reply = ControlReply(message: "unlocked for \(minutes) minutes")
            reply.unlock = ControlUnlock(token: token, expiresAt: expiry)
            return (reply, [])
        case "lock":
            unlocks.lockAll()
            return (ControlReply(message: "locked: changes need the PIN again"), [])
        default:
            return nil
        }
    }

}

/// Records as JSON lines in a reply's payload, and a message that counts them ("3 routines").
func jsonLines<T: Encodable>(_ records: [T], _ what: String) -> (ControlReply, [UInt8]) {
    let encoder = ControlProtocol.jsonEncoder()
    var bytes: [UInt8] = []
    for record in records {
        if let data = try? encoder.encode(record) { bytes += Array(data) + [10] }
    }
    return (ControlReply(message: "\(records.count) \(what)"), bytes)
}
