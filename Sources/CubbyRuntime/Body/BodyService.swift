import CubbyBody
import CubbyCore
import CubbyHardware
import CubbyMemory
import Foundation
import Logging
import ServiceLifecycle

/// The toy's body: reads its sensors (on the simulated board, a scripted trace), recognises what the child
/// does — a pat, a hug, a shake, a pick-up, a fall — and answers with the persona's reaction for it: a
/// motion (within the board's limits, through the motion guard), a light pattern, a sound. A fall stops
/// every motor at once; a low battery halves the motions and is noted for the parents. The listening light
/// is never touched here: only the audio gate drives it.
final class BodyService: Service, Sendable {
    let body: BodyDefinition
    let trace: [SensorEvent]
    let live: LiveSettings
    let events: BoardEventLog?
    let player: MotionPlayer
    let audit: AuditLog
    let clock: any CubbyClock
    let logger: Logger

    init(body: BodyDefinition, trace: [SensorEvent], live: LiveSettings, events: BoardEventLog?, driver: any MotorDriver, audit: AuditLog,
         clock: any CubbyClock, logger: Logger) {
        self.body = body
        self.trace = trace
        self.live = live
        self.events = events
        self.audit = audit
        self.clock = clock
        self.logger = logger
        player = MotionPlayer(motors: body.motors, driver: driver, clock: clock, logger: logger)
    }

    func run() async throws {
        events?.record("sensors", "trace started")
        await cancelWhenGracefulShutdown { await self.replay() }
        player.stopAll()
    }

    /// The trace, each reading at its moment.
    private func replay() async {
        var recognizer = GestureRecognizer()
        var limits = MotionGuard(motors: body.motors.map(\.limits))
        var warnedLowBattery = false
        let start = clock.now
        for event in trace {
            do { try await clock.sleep(until: start + .milliseconds(event.milliseconds)) } catch { return }
            if case .battery(let percent) = event.reading {
                limits.battery(percent)
                if percent < limits.lowBatteryPercent, !warnedLowBattery {
                    warnedLowBattery = true
                    logger.warning("the battery is low; the toy moves less", metadata: ["percent": "\(percent)"])
                    try? audit.record("battery.low", "\(percent) %: the toy moves less until it is charged", at: clock.date)
                } else if percent >= limits.lowBatteryPercent {
                    warnedLowBattery = false
                }
            }
            for gesture in recognizer.feed(event) { react(to: gesture, limits: &limits) }
        }
    }

    /// The persona's reaction to a gesture, within the board's limits.
    func react(to gesture: Gesture, limits: inout MotionGuard) {
        if gesture == .fall {
            // Stop first, then say what happened.
            limits.fell()
            player.stopAll()
        } else if gesture == .pickUp || gesture == .putDown {
            limits.rested()
        }
        events?.record("gesture", gesture.rawValue)
        logger.info("gesture", metadata: ["gesture": "\(gesture.rawValue)"])
        guard gesture != .fall, let reaction = live.current.persona.expressions.gestures[gesture.rawValue] else { return }
        if let light = reaction.light { events?.record("light_pattern", light) }
        if let motion = reaction.motion {
            events?.record("motion", motion)
            if let steps = body.motions[motion] { player.play(limits.allowed(steps)) }
        }
        if let sound = reaction.sound { events?.record("sound", sound) }
    }
}
