import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyPersona
import CubbySafety
import Foundation
import Logging

/// What SIGHUP can change while the daemon runs: the configuration, the persona, and the cloud client
/// built from them. Readers take a snapshot at the start of a conversation, so a reload never changes
/// the persona or the cloud in the middle of a turn.
public final class LiveSettings: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    public struct Snapshot: Sendable {
        public var configuration: DaemonConfiguration
        public var persona: Persona
        public var cloud: OpenAICompatibleClient?
        /// The built-in rules with the persona's and the parent's additions.
        public var filter: any SafetyFilter
        /// The optional second opinion on outbound sentences.
        public var guardModel: GuardModelClient?
        /// The optional cloud voice for the model's sentences.
        public var speech: CloudSpeechClient?
        /// The wake engine for the persona's wake phrase; nil when nothing listens for it (`--once` without `--wake`).
        public var wake: WakeEngine?
        /// Increases with every successful reload.
        public var generation: Int
    }

    private let lock = NSLock()
    private var snapshot: Snapshot
    /// Clients replaced by a reload; a turn may still be using one, so they are shut down at exit.
    private var retired: [OpenAICompatibleClient] = []
    private var retiredGuards: [GuardModelClient] = []
    private var retiredVoices: [CloudSpeechClient] = []

    public init(configuration: DaemonConfiguration, persona: Persona, cloud: OpenAICompatibleClient?, filter: any SafetyFilter,
                wake: WakeEngine? = nil) {
        snapshot = Snapshot(configuration: configuration, persona: persona, cloud: cloud, filter: filter,
                            guardModel: configuration.safety.guardModel.map(GuardModelClient.init),
                            speech: configuration.speech.map { CloudSpeechClient(settings: $0.speaking(as: persona.cloudVoice)) }, wake: wake, generation: 0)
    }

    public var current: Snapshot { lock.withLock { snapshot } }

    /// Installs a new configuration and persona. `cloud` is reused when the cloud settings did not change;
    /// `wake` is the engine to listen with from now on (the same one when the wake settings did not change).
    public func replace(configuration: DaemonConfiguration, persona: Persona, filter: any SafetyFilter, wake: WakeEngine?,
                        makeCloud: (CloudSettingsChange) -> OpenAICompatibleClient?) {
        lock.withLock {
            let old = snapshot
            let change: CloudSettingsChange = old.configuration.cloud == configuration.cloud ? .unchanged(old.cloud) : .changed(configuration.cloud)
            let cloud = makeCloud(change)
            if let previous = old.cloud, previous !== cloud { retired.append(previous) }
            var guardModel = old.guardModel
            if old.configuration.safety.guardModel != configuration.safety.guardModel {
                if let previous = old.guardModel { retiredGuards.append(previous) }
                guardModel = configuration.safety.guardModel.map(GuardModelClient.init)
            }
            var speech = old.speech
            let voiced = configuration.speech?.speaking(as: persona.cloudVoice)
            if old.configuration.speech?.speaking(as: old.persona.cloudVoice) != voiced {
                if let previous = old.speech { retiredVoices.append(previous) }
                speech = voiced.map(CloudSpeechClient.init)
            }
            snapshot = Snapshot(configuration: configuration, persona: persona, cloud: cloud, filter: filter, guardModel: guardModel,
                                speech: speech, wake: wake, generation: old.generation + 1)
        }
    }

    /// Shuts down every cloud client this box ever held.
    public func shutdown() async {
        let (clients, guards, voices) = lock.withLock { () -> ([OpenAICompatibleClient], [GuardModelClient], [CloudSpeechClient]) in
            let all = retired + (snapshot.cloud.map { [$0] } ?? [])
            let allGuards = retiredGuards + (snapshot.guardModel.map { [$0] } ?? [])
            let allVoices = retiredVoices + (snapshot.speech.map { [$0] } ?? [])
            retired = []
            retiredGuards = []
            retiredVoices = []
            return (all, allGuards, allVoices)
        }
        for client in clients { await client.shutdown() }
        for client in guards { await client.shutdown() }
        for client in voices { await client.shutdown() }
    }

    public enum CloudSettingsChange {
        case unchanged(OpenAICompatibleClient?)
        case changed(CloudSettings?)
    }
}

extension LiveSettings.Snapshot {
    /// Where this snapshot's turns get their answers: a xiaozhi server when one is configured, otherwise
    /// the OpenAI-compatible cloud, otherwise none (the persona's offline lines).
    func provider(speakerRate: Int, clock: any CubbyClock, logger: Logger) -> (any ReplyProvider)? {
        ReplyProviders.choose(configuration: configuration, cloud: cloud, speakerRate: speakerRate, clock: clock, logger: logger)
    }
}
