import CubbyControl
import CubbyCore
import CubbyParents
import Foundation

/// Answers one control request. The socket's permissions (the daemon's user and the `cubby` group) say
/// who may connect; the parent PIN (or an unexpired unlock) says who may change anything, and, when the
/// parent chose so at setup, read.
struct ControlHandler: Sendable {
    let personas: PersonaManager
    let family: FamilyData
    let pin: ParentPIN
    let parents: ParentsCommands
    let routines: RoutineCommands
    let clock: any CubbyClock

    /// What changes the toy or reveals everything about the child: each needs the parent PIN once one is
    /// set. Reading the list of personas and memories does not (the socket's group says who may read).
    static let needPIN = Set<String>(["persona.install", "persona.switch", "persona.remove", "persona.rollback",
                                       "memory.delete", "data.export", "data.erase", "soul.export", "soul.import",
                                       "settings.set", "cloud.key", "consent.record", "alerts.ack"]).union(RoutineCommands.changes)

    static let commands = ["hello", "pin.set", "persona.list", "persona.install", "persona.switch", "persona.remove", "persona.rollback",
                           "memory.list", "memory.search", "memory.delete", "data.export", "data.erase", "soul.export", "soul.import"]
        + ParentsCommands.commands + RoutineCommands.commands

    /// Whether `request` needs the PIN now: every change; reading when the parent said so; `unlock` always.
    func needsPIN(_ request: ControlRequest) -> Bool {
        request.command == "unlock" || Self.needPIN.contains(request.command)
            || ((ParentsCommands.reads.contains(request.command) || RoutineCommands.reads.contains(request.command)) && parents.readsNeedPIN)
    }

    /// The reply, and the bytes that follow it (an export, a soul).
    func handle(_ request: ControlRequest, payload: [UInt8]) async -> (ControlReply, [UInt8]) {
        do throws(CubbyError) {
            if needsPIN(request), request.command == "unlock" || !parents.unlocks.isValid(request.arguments["unlock"]) {
                let given = request.arguments["pin"]
                let (pin, now) = (pin, clock.date)
                let verdict = try await OffPoolBuild.work("pin") { () throws(CubbyError) in try pin.check(given, at: now) }
                if let refusal = verdict { return (.failure(refusal.code, "\(request.command): \(refusal)"), []) }
            }
            var (reply, out): (ControlReply, [UInt8])
            if let answer = try await parents.handle(request) {
                (reply, out) = answer
            } else if let answer = try await routines.handle(request) {
                (reply, out) = answer
            } else {
                (reply, out) = try await core(request, payload: payload)
            }
            guard reply.ok else { return (reply, []) }
            reply.activePersona = await personas.activePersona
            if !out.isEmpty { reply.payloadBytes = out.count }
            return (reply, out)
        } catch {
            return (.failure(error.code == .io || error.code == .storage ? "failed" : "refused", "\(error)"), [])
        }
    }

    /// The toy's own commands: the PIN, personas, memories, the family's data and the soul.
    private func core(_ request: ControlRequest, payload: [UInt8]) async throws(CubbyError) -> (ControlReply, [UInt8]) {
        var reply: ControlReply
        var out: [UInt8] = []
        switch request.command {
        case "pin.set":
            let (pin, now) = (pin, clock.date)
            let (new, current) = (try argument("new_pin", of: request), request.arguments["pin"])
            let verdict = try await OffPoolBuild.work("pin") { () throws(CubbyError) in try pin.set(new, current: current, at: now) }
            if let refusal = verdict { return (.failure(refusal.code, "pin.set: \(refusal)"), []) }
            try family.database.audit.record("pin.set", "the parent PIN was set", at: now)
            // Unlocks given under the old PIN end with it.
            parents.unlocks.lockAll()
            reply = ControlReply(message: "the parent PIN is set; changes to the toy now need it")
        case "hello":
            reply = ControlReply(message: "cubbyd \(CubbyVersion.string), control protocol \(ControlProtocol.version)")
            reply.daemonVersion = CubbyVersion.string
        case "persona.list":
            reply = ControlReply()
            reply.personas = try await personas.list()
        case "persona.install":
            guard !payload.isEmpty else { return (.failure("malformed", "persona.install needs the pack as the request's payload"), []) }
            let name = request.arguments["name"].map { String($0.prefix(200)) } ?? "the pack sent by cubby"
            reply = ControlReply(message: try await personas.install(bytes: payload, name: name, allowDowngrade: request.arguments["allow_downgrade"] == "true"))
        case "persona.switch":
            reply = ControlReply(message: try await personas.activate(id: try argument("id", of: request)))
        case "persona.remove":
            reply = ControlReply(message: try await personas.remove(id: try argument("id", of: request)))
        case "persona.rollback":
            reply = ControlReply(message: try await personas.rollback())
        case "memory.list", "memory.search":
            let limit = request.arguments["limit"].flatMap(Int.init).map { min(max($0, 1), 10_000) } ?? 1_000
            let text = request.command == "memory.search" ? try argument("text", of: request) : nil
            reply = ControlReply()
            reply.memories = try await OffPoolBuild.work("memories") { () throws(CubbyError) in try family.memories(search: text, limit: limit) }
        case "memory.delete":
            if request.arguments["all"] == "true" {
                reply = ControlReply(message: try await OffPoolBuild.work("forgetting") { () throws(CubbyError) in try family.deleteAllMemories() })
            } else {
                guard let id = Int64(try argument("id", of: request)) else { throw CubbyError(.invalidConfiguration, "memory.delete: id must be a number") }
                reply = ControlReply(message: try await OffPoolBuild.work("forgetting") { () throws(CubbyError) in try family.delete(memory: id) })
            }
        case "data.export":
            out = try await OffPoolBuild.work("export") { () throws(CubbyError) in try family.export() }
            reply = ControlReply(message: "exported everything kept about the child (\(out.count) bytes)")
        case "data.erase":
            guard request.arguments["confirm"] == "erase" else {
                throw CubbyError(.invalidConfiguration, "data.erase needs the argument confirm = \"erase\"")
            }
            var message = try await OffPoolBuild.work("erase") { () throws(CubbyError) in try family.erase() }
            // The child's name also lives in the configuration, which would write it back at the next start.
            if parents.live.current.configuration.childName != nil {
                let removal: [String: String?] = ["child.name": nil]
                do throws(CubbyError) {
                    _ = try await parents.settings.set(removal)
                    message += "; the child's name was removed from the configuration"
                } catch {
                    message += "; but the child's name could not be removed from the configuration (\(error)): remove [child] name by hand"
                }
            }
            reply = ControlReply(message: message)
        case "soul.export":
            let passphrase = try argument("passphrase", of: request)
            out = try await OffPoolBuild.work("soul") { () throws(CubbyError) in try family.exportSoul(passphrase: passphrase) }
            reply = ControlReply(message: "sealed the child's soul (\(out.count) bytes)")
        case "soul.import":
            guard !payload.isEmpty else { throw CubbyError(.invalidConfiguration, "soul.import needs the soul file as the request's payload") }
            let passphrase = try argument("passphrase", of: request)
            let name = request.arguments["name"].map { String($0.prefix(200)) } ?? "the soul sent by cubby"
            reply = ControlReply(message: try await OffPoolBuild.work("soul") { () throws(CubbyError) in
                try family.importSoul(payload, passphrase: passphrase, name: name)
            })
        default:
            return (.failure("unknown_command", "unknown command \"\(request.command.prefix(40))\" (known: \(Self.commands.joined(separator: ", ")))"), [])
        }
        return (reply, out)
    }

    private func argument(_ name: String, of request: ControlRequest) throws(CubbyError) -> String {
        guard let value = request.arguments[name], !value.isEmpty else {
            throw CubbyError(.invalidConfiguration, "\(request.command) needs the argument \"\(name)\"")
        }
        return value
    }
}
