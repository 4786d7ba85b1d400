import CubbyConfiguration
import CubbyControl
import CubbyCore
import CubbyPersonaPack
import CubbySafety
import Logging

/// Changes the toy's persona while it runs, one change at a time, for the control channel and the inbox.
///
/// Each change goes through the persona store (verified, atomic, see `PersonaStore`) and is then applied
/// the way SIGHUP applies a changed configuration: the next turn speaks as the new persona; a turn in
/// progress finishes as the old one. Memories are the child's, kept in the database, and stay as they are.
/// A change and the reload that applies it pass one `SerialGate` together, so two changes never
/// interleave; store work (hashing, writing, flock) runs on a thread of its own, never on the pool the
/// conversation runs on.
struct PersonaManager: Sendable {
    let live: LiveSettings
    let baseFilter: OnDeviceFilter
    /// Re-reads the configuration and the active persona and puts them in force (`Daemon.reload`).
    let apply: @Sendable () async throws(CubbyError) -> String
    let logger: Logger
    private let changes = SerialGate()

    init(live: LiveSettings, baseFilter: OnDeviceFilter, logger: Logger, apply: @escaping @Sendable () async throws(CubbyError) -> String) {
        self.live = live
        self.baseFilter = baseFilter
        self.logger = logger
        self.apply = apply
    }

    private var configuration: DaemonConfiguration { live.current.configuration }
    private var store: PersonaStore { PersonaStore(dataDirectory: configuration.dataDirectory) }

    /// The installer as the configuration says now: trusted keys are read afresh, so a maker's key added
    /// to the folder counts without a restart.
    private func installer() throws(CubbyError) -> PackInstaller {
        let settings = configuration.personaPacks
        return PackInstaller(store: store, policy: .init(trusted: try TrustedKeys.load(from: settings.trustedKeys), allowUnsigned: settings.developerMode),
                             filter: baseFilter)
    }

    func install(bytes: [UInt8], name: String, allowDowngrade: Bool) async throws(CubbyError) -> String {
        try await changes.run { () async throws(CubbyError) -> String in
            let installer = try installer()
            let result = try await OffPoolBuild.work("persona-store") { () throws(CubbyError) in try installer.install(bytes: bytes, name: name, allowDowngrade: allowDowngrade) }
            return try await finish(describe(result.0, name: result.1.persona.name))
        }
    }

    func install(file: String) async throws(CubbyError) -> String {
        try await changes.run { () async throws(CubbyError) -> String in
            let installer = try installer()
            let result = try await OffPoolBuild.work("persona-store") { () throws(CubbyError) in try installer.install(file: file) }
            return try await finish(describe(result.0, name: result.1.persona.name))
        }
    }

    func activate(id: String) async throws(CubbyError) -> String {
        try await changes.run { () async throws(CubbyError) -> String in
            let store = store
            try await OffPoolBuild.work("persona-store") { () throws(CubbyError) in try store.activate(id: id) }
            return try await finish("switched to \(id)")
        }
    }

    func remove(id: String) async throws(CubbyError) -> String {
        try await changes.run { () async throws(CubbyError) -> String in
            let store = store
            try await OffPoolBuild.work("persona-store") { () throws(CubbyError) in try store.remove(id: id) }
            return "removed \(id)"
        }
    }

    func rollback() async throws(CubbyError) -> String {
        try await changes.run { () async throws(CubbyError) -> String in
            let store = store
            let (id, from, to) = try await OffPoolBuild.work("persona-store") { () throws(CubbyError) in try store.rollback() }
            return try await finish("rolled \(id) back from \(from) to \(to)")
        }
    }

    func list() async throws(CubbyError) -> [ControlPersona] {
        let store = store
        return try await OffPoolBuild.work("persona-store") { () throws(CubbyError) in
            try store.list().map { ControlPersona(id: $0.id, name: $0.name, version: $0.current, previous: $0.previous, active: $0.active, locales: $0.locales) }
        }
    }

    var activePersona: String {
        let persona = live.current.persona
        return "\(persona.id) \(persona.version)"
    }

    private func describe(_ outcome: PersonaStore.Outcome, name: String) -> String {
        switch outcome {
        case .installed(let id, let version, let replaced):
            "installed \(name) (\(id) \(version))" + (replaced.map { ", replacing \($0), which is kept for rollback" } ?? "")
        case .alreadyInstalled(let id, let version):
            "\(name) (\(id) \(version)) was already installed"
        }
    }

    /// Puts the store's new state in force; if that fails (a broken configuration file), says so: the
    /// store has changed, and the toy takes the new persona at the next successful reload.
    private func finish(_ done: String) async throws(CubbyError) -> String {
        do {
            let summary = try await apply()
            logger.notice("persona changed: \(done); now \(summary)")
            return done
        } catch {
            logger.error("persona changed but could not be applied", metadata: ["error": "\(error)"])
            throw CubbyError(.invalidConfiguration, "\(done), but applying it failed and the toy keeps its previous persona for now: \(error)")
        }
    }
}
