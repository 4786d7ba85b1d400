import AsyncAlgorithms
import CubbyConfiguration
import CubbyControl
import CubbyCore
import CubbyMemory
import CubbyRoutines
import CubbyScenes
import Foundation

/// The parents' routines and scenes on the control channel: list, add and remove routines (a time on
/// some weekdays, or one date), list the scenes, and start one now. Adding, removing and starting need
/// the PIN or an unlock, like every change; a child never reaches these (there is no voice path to them).
struct RoutineCommands: Sendable {
    let database: CubbyDatabase
    let live: LiveSettings
    let clock: any CubbyClock
    let calendar: Calendar
    /// Rung after a change, so the scheduler looks again.
    let changed: Doorbell
    /// Where a started scene goes: the conversation loop.
    let inbox: AsyncChannel<ConversationEvent>

    static let reads: Set<String> = ["routines.list", "scenes.list"]
    static let changes: Set<String> = ["routines.add", "routines.remove", "scene.start"]
    static let commands = ["routines.list", "routines.add", "routines.remove", "scenes.list", "scene.start"]
    static let longestText = 300

    func handle(_ request: ControlRequest) async throws(CubbyError) -> (ControlReply, [UInt8])? {
        let arguments = request.arguments
        switch request.command {
        case "routines.list":
            return jsonLines(try listed(), "routines")
        case "routines.add":
            let new = try record(from: arguments)
            // The routine and its line in the parents' log are written in one transaction.
            let routine = try database.routines.add(new, note: { (row: RoutineRecord) throws(CubbyError) -> String in try Routine(row).summary }, at: clock.date)
            changed.ring()
            let summary = try Routine(routine).summary
            let next = RoutinePlanner.next([try Routine(routine)], after: clock.date, calendar: calendar)
            return (ControlReply(message: "added \(summary)" + (next.map { "; next \(describe($0))" } ?? "")), [])
        case "routines.remove":
            guard let id = arguments["id"].flatMap(Int64.init) else { throw CubbyError(.invalidConfiguration, "routines.remove needs id = the routine's number") }
            guard try database.routines.remove(id: id, noteAt: clock.date) else {
                throw CubbyError(.invalidConfiguration, "there is no routine \(id) (see routines.list)")
            }
            changed.ring()
            return (ControlReply(message: "removed routine \(id)"), [])
        case "scenes.list":
            let persona = live.current.persona
            let settings = live.current.configuration.scenes
            let catalog = SceneCatalog(persona: persona)
            let scenes = catalog.ids.map { id in "\(id)\(settings.allows(id) ? "" : " (not allowed)")" }
            return (ControlReply(message: scenes.joined(separator: ", ")), [])
        case "scene.start":
            let id = try scene(arguments["scene"])
            guard live.current.configuration.scenes.allows(id) else {
                throw CubbyError(.invalidConfiguration, "\(id) is not allowed: add it to [scenes] allowed first (cubby settings set scenes.allowed ...)")
            }
            try database.audit.record("scene.start", id, at: clock.date)
            // Handed over without waiting: the control channel never holds up, or waits on, the conversation.
            let inbox = inbox
            Task { await inbox.send(.sceneStarted(id)) }
            return (ControlReply(message: "asked the toy to start \(id) (not in quiet hours, after the day's play, or while muted)"), [])
        default:
            return nil
        }
    }

    /// A new routine from the request: `action` say (with `text`) or scene (with `scene`), `at` "HH:MM",
    /// and `days` ("mon-fri", "daily") or `date` ("2026-12-24"); `grace` minutes optionally.
    func record(from arguments: [String: String]) throws(CubbyError) -> RoutineRecord {
        let action = RoutineRecord.Action(rawValue: arguments["action"] ?? "say")
        guard let action else { throw CubbyError(.invalidConfiguration, "action must be say or scene") }
        var text: String?
        var sceneID: String?
        switch action {
        case .say:
            let words = (arguments["text"] ?? "").trimmingSpaces()
            // Counted as the store counts it (code points), so a check that passes here passes there.
            guard (1...Self.longestText).contains(words.unicodeScalars.count), !words.contains(where: \.isNewline) else {
                throw CubbyError(.invalidConfiguration, "text must be one line of 1-\(Self.longestText) characters: the words the toy says")
            }
            text = words
        case .scene:
            sceneID = try scene(arguments["scene"])
        }
        guard let at = arguments["at"], let time = TimeOfDay(at) else {
            throw CubbyError(.invalidConfiguration, "at must be a time like 19:30 (24-hour clock)")
        }
        let grace = try arguments["grace"].map { value throws(CubbyError) -> Int in
            guard let minutes = Int(value), (1...720).contains(minutes) else { throw CubbyError(.invalidConfiguration, "grace must be 1-720 minutes") }
            return minutes
        } ?? Routine.defaultGraceMinutes(action: action, scene: sceneID)
        let now = clock.date
        switch (arguments["days"], arguments["date"]) {
        case (let days?, nil):
            return RoutineRecord(action: action, text: text, scene: sceneID, time: time.description, weekdays: WeekdayList.format(try WeekdayList.parse(days)),
                                 graceMinutes: grace, addedBy: .parent, createdAt: now)
        case (nil, let date?):
            let parts = date.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3,
                  let moment = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: time.minutes / 60, minute: time.minutes % 60)),
                  calendar.dateComponents([.year, .month, .day], from: moment) == DateComponents(year: parts[0], month: parts[1], day: parts[2]) else {
                throw CubbyError(.invalidConfiguration, "date must be a day like 2026-12-24")
            }
            guard moment > now else { throw CubbyError(.invalidConfiguration, "\(date) \(time) has already passed") }
            return RoutineRecord(action: action, text: text, scene: sceneID, onceAt: moment, graceMinutes: grace, addedBy: .parent, createdAt: now)
        default:
            throw CubbyError(.invalidConfiguration, "give days (mon-fri, daily, weekends, school-nights, sat,sun) or one date (2026-12-24), not both")
        }
    }

    private func scene(_ name: String?) throws(CubbyError) -> String {
        let catalog = SceneCatalog(persona: live.current.persona)
        guard let name, catalog[name] != nil else {
            throw CubbyError(.invalidConfiguration, "scene must be one of: \(catalog.ids.joined(separator: ", "))")
        }
        return name
    }

    private func listed() throws(CubbyError) -> [ControlRoutine] {
        let now = clock.date
        return try database.routines.all().map { record in
            let next = (try? Routine(record)).flatMap { RoutinePlanner.next([$0], after: now, calendar: calendar) }
            return ControlRoutine(id: record.id ?? 0, action: record.action.rawValue, text: record.text, scene: record.scene, time: record.time,
                                  weekdays: record.weekdays, onceAt: record.onceAt, graceMinutes: record.graceMinutes,
                                  addedBy: record.addedBy.rawValue, nextAt: next)
        }
    }

    /// "Mon 19:30" in the toy's calendar.
    private func describe(_ date: Date) -> String {
        let parts = calendar.dateComponents([.weekday, .hour, .minute, .month, .day], from: date)
        let day = Weekday(calendarWeekday: parts.weekday ?? 1)?.rawValue ?? ""
        return "\(day) \(parts.month ?? 0)/\(parts.day ?? 0) " + TimeOfDay(minutes: (parts.hour ?? 0) * 60 + (parts.minute ?? 0)).description
    }
}
