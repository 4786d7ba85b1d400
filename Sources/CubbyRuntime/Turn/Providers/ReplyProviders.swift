import CubbyCloud
import CubbyConfiguration
import CubbyCore
import Logging

public enum ReplyProviders {
    /// The provider a configuration asks for: a xiaozhi server when one is configured, otherwise the
    /// OpenAI-compatible `cloud`, otherwise none (the persona's offline lines).
    public static func choose(configuration: DaemonConfiguration, cloud: OpenAICompatibleClient?, speakerRate: Int,
                              clock: any CubbyClock = SystemClock(), logger: Logger) -> (any ReplyProvider)? {
        if let xiaozhi = configuration.xiaozhi {
            return XiaozhiReplyProvider(settings: xiaozhi, speakerRate: speakerRate, clock: clock, logger: logger)
        }
        return cloud.map { OpenAIReplyProvider(client: $0, clock: clock, logger: logger) }
    }
}
