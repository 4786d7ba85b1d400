import CubbyCloud
import CubbyCore
import CubbyMemory

/// Decides whether this turn may go to the cloud at all: not during a cool-down, not while the circuit
/// breaker rests a failing cloud, not without a provider. A parent's limits would be asked here too.
struct CloudAdmission: Sendable {
    enum Decision {
        case coolingDown
        case unavailable(reason: String)
        case ask(any ReplyProvider)
    }

    var provider: (any ReplyProvider)?
    var safety: ConversationSafety
    /// Shared by every turn: a cloud that keeps failing is left alone for a while.
    var breaker: CircuitBreaker?
    var clock: any CubbyClock

    func decide() -> Decision {
        if safety.isCoolingDown { return .coolingDown }
        guard let provider else { return .unavailable(reason: "no cloud is configured") }
        if let breaker, !breaker.allowsRequest(at: clock.now) {
            return .unavailable(reason: "the cloud failed repeatedly; trying it again later")
        }
        return .ask(provider)
    }

    /// A turn that reached the cloud and had to fall back to the offline line counts against it.
    func record(_ outcome: TurnOutcome) {
        guard let breaker, !Task.isCancelled else { return }
        if outcome == .offline { breaker.recordFailure(at: clock.now) } else { breaker.recordSuccess() }
    }
}
