import Foundation

/// The control protocol's messages (docs/control-protocol.md): one request per connection, a line of
/// JSON optionally followed by `payload_bytes` raw bytes, answered by one line of JSON.
///
/// Every message carries `protocol`; a peer that speaks another version gets an answer naming both, so a
/// newer `cubby` and an older toy (or the reverse) say what is wrong instead of misreading each other.
public enum ControlProtocol {
    public static let version = 1
    /// The request line, without its payload.
    public static let maximumHeaderBytes = 64 * 1024
    /// A payload (a persona pack) is at most this big.
    public static let maximumPayloadBytes = 32 * 1024 * 1024
    /// An answer's payload (an export of everything kept) is at most this big.
    public static let maximumReplyPayloadBytes = 256 * 1024 * 1024
    /// A request must arrive whole within this long; a stalled client is cut off.
    public static let requestTimeoutSeconds = 30

    /// How every message, and every record in a payload, is written: sorted keys, ISO 8601 dates.
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A day as `history`'s `since` gives it ("2026-12-01"), at its start in the toy's time zone.
    public static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.date(from: text)
    }
}

public struct ControlRequest: Codable, Sendable, Equatable {
    public var `protocol`: Int
    /// `hello`, `persona.list`, `persona.install`, `persona.switch`, `persona.remove`, `persona.rollback`.
    public var command: String
    public var arguments: [String: String]
    /// The raw bytes that follow the line (a pack for `persona.install`); 0 when none.
    public var payloadBytes: Int

    enum CodingKeys: String, CodingKey {
        case `protocol`, command, arguments
        case payloadBytes = "payload_bytes"
    }

    public init(command: String, arguments: [String: String] = [:], payloadBytes: Int = 0) {
        self.protocol = ControlProtocol.version
        self.command = command
        self.arguments = arguments
        self.payloadBytes = payloadBytes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.protocol = try container.decode(Int.self, forKey: .protocol)
        command = try container.decode(String.self, forKey: .command)
        arguments = try container.decodeIfPresent([String: String].self, forKey: .arguments) ?? [:]
        payloadBytes = try container.decodeIfPresent(Int.self, forKey: .payloadBytes) ?? 0
    }
}

/// One installed persona, as `persona.list` reports it.
public struct ControlPersona: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    public var version: String
    public var previous: String?
    public var active: Bool
    public var locales: [String]

    public init(id: String, name: String?, version: String, previous: String?, active: Bool, locales: [String]) {
        self.id = id
        self.name = name
        self.version = version
        self.previous = previous
        self.active = active
        self.locales = locales
    }
}

/// One thing the toy remembers, as `memory.list` and `memory.search` report it.
public struct ControlMemory: Codable, Sendable, Equatable {
    public var id: Int64
    public var text: String
    public var kind: String
    public var language: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, text, kind, language
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
    }

    public init(id: Int64, text: String, kind: String, language: String, createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.text = text
        self.kind = kind
        self.language = language
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// `unlock`'s answer: a token for changes without the PIN, for a while.
public struct ControlUnlock: Codable, Sendable, Equatable {
    public var token: String
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case token
        case expiresAt = "expires_at"
    }

    public init(token: String, expiresAt: Date) {
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// `status`: what a parent wants to know at a glance.
public struct ControlStatus: Codable, Sendable, Equatable {
    public var persona: String
    public var personaVersion: String
    public var childName: String?
    public var childAge: Int
    /// The cloud in use, without keys; nil when there is none (offline lines only).
    public var cloud: String?
    /// Whether the cloud's address answered just now; nil when there is no cloud.
    public var cloudReachable: Bool?
    public var playedTodayMinutes: Double
    /// nil when there is no daily limit.
    public var leftTodayMinutes: Double?
    public var dailyMinutes: Int
    public var sittingMinutes: Int
    public var leftThisSittingMinutes: Double?
    /// Tonight's quiet hours ("20:00-07:00"); nil when there are none.
    public var quietHours: String?
    public var inQuietHours: Bool
    public var muted: Bool
    public var maxVolume: Int
    public var pinSet: Bool
    public var unseenAlerts: Int
    /// The latest alerts, newest first: when, and the category.
    public var lastAlerts: [String]
    public var lastTurnAt: Date?
    public var dataBytes: Int64
    public var diskFreeBytes: Int64?
    /// Each service outside the toy, and what it receives (what the parent consents to).
    public var recipients: [String]?

    enum CodingKeys: String, CodingKey {
        case persona, cloud, muted, recipients
        case personaVersion = "persona_version"
        case childName = "child_name"
        case childAge = "child_age"
        case cloudReachable = "cloud_reachable"
        case playedTodayMinutes = "played_today_minutes"
        case leftTodayMinutes = "left_today_minutes"
        case dailyMinutes = "daily_minutes"
        case sittingMinutes = "sitting_minutes"
        case leftThisSittingMinutes = "left_this_sitting_minutes"
        case quietHours = "quiet_hours"
        case inQuietHours = "in_quiet_hours"
        case maxVolume = "max_volume"
        case pinSet = "pin_set"
        case unseenAlerts = "unseen_alerts"
        case lastAlerts = "last_alerts"
        case lastTurnAt = "last_turn_at"
        case dataBytes = "data_bytes"
        case diskFreeBytes = "disk_free_bytes"
    }

    public init(persona: String, personaVersion: String, childName: String?, childAge: Int, cloud: String?, cloudReachable: Bool?,
                playedTodayMinutes: Double, leftTodayMinutes: Double?, dailyMinutes: Int, sittingMinutes: Int, leftThisSittingMinutes: Double?,
                quietHours: String?, inQuietHours: Bool, muted: Bool, maxVolume: Int, pinSet: Bool, unseenAlerts: Int, lastAlerts: [String],
                lastTurnAt: Date?, dataBytes: Int64, diskFreeBytes: Int64?) {
        self.persona = persona
        self.personaVersion = personaVersion
        self.childName = childName
        self.childAge = childAge
        self.cloud = cloud
        self.cloudReachable = cloudReachable
        self.playedTodayMinutes = playedTodayMinutes
        self.leftTodayMinutes = leftTodayMinutes
        self.dailyMinutes = dailyMinutes
        self.sittingMinutes = sittingMinutes
        self.leftThisSittingMinutes = leftThisSittingMinutes
        self.quietHours = quietHours
        self.inQuietHours = inQuietHours
        self.muted = muted
        self.maxVolume = maxVolume
        self.pinSet = pinSet
        self.unseenAlerts = unseenAlerts
        self.lastAlerts = lastAlerts
        self.lastTurnAt = lastTurnAt
        self.dataBytes = dataBytes
        self.diskFreeBytes = diskFreeBytes
    }
}

public struct ControlReply: Codable, Sendable, Equatable, Error {
    public struct Failure: Codable, Sendable, Equatable {
        /// `version`, `malformed`, `too_large`, `timeout`, `unknown_command`, `refused`, `failed`.
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var `protocol`: Int
    public var ok: Bool
    /// What happened, in a sentence for the parent.
    public var message: String?
    /// The persona in use after the request (every successful reply says it).
    public var activePersona: String?
    public var personas: [ControlPersona]?
    public var memories: [ControlMemory]?
    /// Raw bytes that follow the reply line (an export, a soul); 0 when none.
    public var payloadBytes: Int?
    /// `hello`: the daemon's software version.
    public var daemonVersion: String?
    /// `status`: where the toy stands.
    public var status: ControlStatus?
    /// `settings.get`: each parent setting and its value as TOML.
    public var settings: [String: String]?
    /// `unlock`: the token that lets changes through without the PIN until `expires_at`.
    public var unlock: ControlUnlock?
    public var error: Failure?

    enum CodingKeys: String, CodingKey {
        case `protocol`, ok, message, personas, memories, error, status, settings, unlock
        case activePersona = "active_persona"
        case daemonVersion = "daemon_version"
        case payloadBytes = "payload_bytes"
    }

    public init(message: String? = nil) {
        self.protocol = ControlProtocol.version
        ok = true
        self.message = message
    }

    public static func failure(_ code: String, _ message: String) -> ControlReply {
        var reply = ControlReply()
        reply.ok = false
        reply.error = Failure(code: code, message: message)
        return reply
    }

    public func encodedLine() -> [UInt8] {
        Array((try? ControlProtocol.jsonEncoder().encode(self)) ?? Data(#"{"ok":false,"protocol":1}"#.utf8)) + [10]
    }
}

extension ControlRequest {
    public func encodedLine() -> [UInt8] {
        Array(try! ControlProtocol.jsonEncoder().encode(self)) + [10]
    }

    /// Reads a request line; a failure is the reply to send back.
    public static func decode(line: [UInt8]) -> Result<ControlRequest, ControlReply> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            return .failure(.failure("malformed", "the request is not a JSON object"))
        }
        guard let version = object["protocol"] as? Int else {
            return .failure(.failure("malformed", "the request has no \"protocol\" version"))
        }
        guard version == ControlProtocol.version else {
            return .failure(.failure("version", "this toy speaks control protocol \(ControlProtocol.version); the client sent protocol \(version). "
                + (version > ControlProtocol.version ? "Update the toy's software, or use a cubby as old as the toy." : "Update cubby.")))
        }
        do {
            let request = try JSONDecoder().decode(ControlRequest.self, from: Data(line))
            guard (0...ControlProtocol.maximumPayloadBytes).contains(request.payloadBytes) else {
                return .failure(.failure("too_large", "payload_bytes \(request.payloadBytes) is over the limit of \(ControlProtocol.maximumPayloadBytes)"))
            }
            return .success(request)
        } catch {
            return .failure(.failure("malformed", "the request's fields have the wrong types: command is a string, arguments an object of strings, payload_bytes a whole number"))
        }
    }
}

/// A routine or timer as `routines.list` shows it (one JSON line each).
public struct ControlRoutine: Codable, Sendable, Equatable {
    public var id: Int64
    /// "say" (a reminder, a timer) or "scene".
    public var action: String
    public var text: String?
    public var scene: String?
    /// "HH:MM" with `weekdays`, or nil for a routine that happens once (`onceAt`).
    public var time: String?
    public var weekdays: String?
    public var onceAt: Date?
    public var graceMinutes: Int
    /// "parent" or "child" (a child's timer).
    public var addedBy: String
    /// When it happens next; nil when never again.
    public var nextAt: Date?

    public init(id: Int64, action: String, text: String?, scene: String?, time: String?, weekdays: String?, onceAt: Date?, graceMinutes: Int,
                addedBy: String, nextAt: Date?) {
        self.id = id
        self.action = action
        self.text = text
        self.scene = scene
        self.time = time
        self.weekdays = weekdays
        self.onceAt = onceAt
        self.graceMinutes = graceMinutes
        self.addedBy = addedBy
        self.nextAt = nextAt
    }

    enum CodingKeys: String, CodingKey {
        case id, action, text, scene, time, weekdays
        case onceAt = "once_at"
        case graceMinutes = "grace_minutes"
        case addedBy = "added_by"
        case nextAt = "next_at"
    }
}
