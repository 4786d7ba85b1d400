import CubbyCloud
import CubbyPersona
import Foundation

/// What SIGHUP can change while the daemon runs: the configuration, the persona, and the cloud client
/// built from them. Readers take a snapshot at the start of a conversation, so a reload never changes
/// the persona or the cloud in the middle of a turn.
public final class LiveSettings: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    public struct Snapshot: Sendable {
        public var configuration: DaemonConfiguration
        public var persona: Persona
        public var cloud: OpenAICompatibleClient?
        /// Increases with every successful reload.
        public var generation: Int
    }

    private let lock = NSLock()
    private var snapshot: Snapshot
    /// Clients replaced by a reload; a turn may still be using one, so they are shut down at exit.
    private var retired: [OpenAICompatibleClient] = []

    public init(configuration: DaemonConfiguration, persona: Persona, cloud: OpenAICompatibleClient?) {
        snapshot = Snapshot(configuration: configuration, persona: persona, cloud: cloud, generation: 0)
    }

    public var current: Snapshot { lock.withLock { snapshot } }

    /// Installs a new configuration and persona. `cloud` is reused when the cloud settings did not change.
    public func replace(configuration: DaemonConfiguration, persona: Persona, makeCloud: (CloudSettingsChange) -> OpenAICompatibleClient?) {
        lock.withLock {
            let old = snapshot
            let change: CloudSettingsChange = old.configuration.cloud == configuration.cloud ? .unchanged(old.cloud) : .changed(configuration.cloud)
            let cloud = makeCloud(change)
            if let previous = old.cloud, previous !== cloud { retired.append(previous) }
            snapshot = Snapshot(configuration: configuration, persona: persona, cloud: cloud, generation: old.generation + 1)
        }
    }

    /// Shuts down every cloud client this box ever held.
    public func shutdown() async {
        let clients = lock.withLock { () -> [OpenAICompatibleClient] in
            let all = retired + (snapshot.cloud.map { [$0] } ?? [])
            retired = []
            return all
        }
        for client in clients { await client.shutdown() }
    }

    public enum CloudSettingsChange {
        case unchanged(OpenAICompatibleClient?)
        case changed(CloudSettings?)
    }
}
