import CubbyControl
import CubbyCore

/// Answers one control request. Parent-only changes (the PIN, limits) arrive with the parents' app; for
/// now the socket's permissions (the daemon's user and the `cubby` group) say who may connect.
struct ControlHandler: Sendable {
    let personas: PersonaManager

    func handle(_ request: ControlRequest, payload: [UInt8]) async -> ControlReply {
        do {
            var reply: ControlReply
            switch request.command {
            case "hello":
                reply = ControlReply(message: "cubbyd \(CubbyVersion.string), control protocol \(ControlProtocol.version)")
                reply.daemonVersion = CubbyVersion.string
            case "persona.list":
                reply = ControlReply()
                reply.personas = try await personas.list()
            case "persona.install":
                guard !payload.isEmpty else { return .failure("malformed", "persona.install needs the pack as the request's payload") }
                let name = request.arguments["name"].map { String($0.prefix(200)) } ?? "the pack sent by cubby"
                reply = ControlReply(message: try await personas.install(bytes: payload, name: name, allowDowngrade: request.arguments["allow_downgrade"] == "true"))
            case "persona.switch":
                reply = ControlReply(message: try await personas.activate(id: try argument("id", of: request)))
            case "persona.remove":
                reply = ControlReply(message: try await personas.remove(id: try argument("id", of: request)))
            case "persona.rollback":
                reply = ControlReply(message: try await personas.rollback())
            default:
                return .failure("unknown_command", "unknown command \"\(request.command.prefix(40))\" (known: hello, persona.list, persona.install, persona.switch, persona.remove, persona.rollback)")
            }
            reply.activePersona = await personas.activePersona
            return reply
        } catch {
            return .failure(error.code == .io ? "failed" : "refused", "\(error)")
        }
    }

    private func argument(_ name: String, of request: ControlRequest) throws(CubbyError) -> String {
        guard let value = request.arguments[name], !value.isEmpty else {
            throw CubbyError(.invalidConfiguration, "\(request.command) needs the argument \"\(name)\"")
        }
        return value
    }
}
