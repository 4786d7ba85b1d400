import CubbyConfiguration
import CubbyControl
import CubbyCore
import CubbyMemory
import CubbyParents
import Foundation

/// `cubby status`: persona, child, cloud, today's play and what is left, quiet hours, alerts, disk.
struct ToyStatus: Sendable {
    let live: LiveSettings
    let database: CubbyDatabase
    let pin: ParentPIN
    let calendar: Calendar
    let clock: any CubbyClock

    func current() async throws(CubbyError) -> ControlStatus {
        let snapshot = live.current
        let configuration = snapshot.configuration
        let now = clock.date
        let policy = PlayPolicy(limits: configuration.limits, calendar: calendar)
        let history = try database.conversations.playStretches(since: policy.countedFrom(now), openUntil: now).map { PlayPolicy.Stretch(start: $0.start, end: $0.end) }
        let standing = policy.standing(at: now, history: history)
        let alerts = try database.alerts.recent(limit: 200)
        let lastTurn = try database.conversations.recent(limit: 1).last
        let cloudAddress = configuration.xiaozhi?.url ?? configuration.cloud?.baseURL
        let reachable: Bool? = if let cloudAddress { await CloudProbe.reachable(cloudAddress) } else { nil }
        let folder = configuration.dataDirectory
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: folder)[.systemFreeSize] as? NSNumber)?.int64Value
        let minutes = { (seconds: TimeInterval?) in seconds.map { ($0 / 6).rounded() / 10 } }
        var status = ControlStatus(
            persona: snapshot.persona.id, personaVersion: "\(snapshot.persona.version)",
            childName: configuration.childName, childAge: configuration.childAge,
            cloud: configuration.cloudDescription, cloudReachable: reachable,
            playedTodayMinutes: minutes(standing.playedToday) ?? 0, leftTodayMinutes: minutes(standing.leftToday),
            dailyMinutes: configuration.limits.dailyMinutes(on: policy.weekday(of: now)), sittingMinutes: configuration.limits.sittingMinutes,
            leftThisSittingMinutes: minutes(standing.leftThisSitting),
            quietHours: configuration.limits.quietHours(on: policy.weekday(of: now))?.description, inQuietHours: standing.inQuietHours,
            muted: configuration.muted, maxVolume: configuration.maxVolume, pinSet: pin.isSet,
            unseenAlerts: alerts.filter { $0.seenAt == nil }.count,
            lastAlerts: alerts.prefix(3).map { "\($0.raisedAt.formatted(.iso8601)) \($0.category)" },
            lastTurnAt: lastTurn?.startedAt, dataBytes: Self.size(of: folder), diskFreeBytes: free)
        status.recipients = DataRecipients.describe(configuration)
        return status
    }

    /// Bytes in the data folder.
    static func size(of folder: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: (folder as NSString).appendingPathComponent(name))
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0 }
        }
        return total
    }
}
