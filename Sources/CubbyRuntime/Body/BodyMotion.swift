import CubbyBody
import CubbyCore
import CubbyHardware
import Logging
import Synchronization

/// The toy's motors and lights as everything else reaches them — reactions to touch, the model's emotions while it
/// speaks — always through one motion guard, so a fall stops what any of them started and no caller can
/// pass the board's limits.
final class BodyMotion: Sendable {
    let body: BodyDefinition
    let player: MotionPlayer
    let lights: (any LightDriver)?
    let clock: any CubbyClock
    let logger: Logger
    private let limits: Mutex<MotionGuard>
    private let pattern = Mutex<Task<Void, Never>?>(nil)

    init(body: BodyDefinition, driver: any MotorDriver, lights: (any LightDriver)? = nil, clock: any CubbyClock, logger: Logger) {
        self.body = body
        player = MotionPlayer(motors: body.motors, driver: driver, clock: clock, logger: logger)
        limits = Mutex(MotionGuard(motors: body.motors.map(\.limits)))
        self.lights = lights
        self.clock = clock
        self.logger = logger
    }

    /// Shows a named light pattern of the board's (replacing the one showing); a name it lacks does nothing.
    func show(_ name: String) {
        guard let lights, let steps = body.lightPatterns[name] else { return }
        let specs = Dictionary(body.lights.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let (clock, logger) = (clock, logger)
        let task = Task {
            for step in steps {
                guard !Task.isCancelled, let light = specs[step.light] else { return }
                do { try lights.set(light, brightness: step.brightness, colours: step.colours) } catch { logger.error("a light did not change", metadata: ["error": "\(error)"]) }
                try? await clock.sleep(for: .milliseconds(step.milliseconds))
            }
        }
        pattern.withLock { previous in
            previous?.cancel()
            previous = task
        }
    }

    /// Plays a named motion of the board's, within the limits; a name the board does not have does nothing.
    func perform(_ motion: String) {
        guard let steps = body.motions[motion] else { return }
        // Checked and started under the guard's lock: a fall either comes first (nothing starts) or after
        // (it stops what started).
        limits.withLock { guardRail in
            let allowed = guardRail.allowed(steps)
            guard !allowed.isEmpty else { return }
            player.play(allowed)
        }
    }

    /// A fall: every motor stops now, and nothing moves until the toy is picked up or put down.
    func fell() {
        limits.withLock { guardRail in
            guardRail.fell()
            player.stopAll()
        }
    }

    /// How long a stalled motor rests before it may move again.
    static let stallRest: Duration = .seconds(5)

    /// `motor` stalled: every motor stops now (the motion it was in is over), and the stalled one is not
    /// moved again — by a motion or by lip-sync — for `stallRest`.
    func stalled(_ motor: String) {
        let stall = limits.withLock { guardRail -> Int in
            player.stopAll()
            return guardRail.stalled(motor)
        }
        Task {
            try? await self.clock.sleep(for: Self.stallRest)
            self.limits.withLock { $0.released(motor, stall: stall) }
        }
    }

    /// Runs `move` (lip-sync's) under the guard's lock unless the toy has fallen, with the angle the guard
    /// allows: halved toward rest on a low battery.
    func whileUpright(_ motor: MotorLimits, angle: Double, _ move: (Double) -> Void) {
        limits.withLock { guardRail in
            guard !guardRail.fallen, !guardRail.stalledMotors.contains(motor.name) else { return }
            move(guardRail.angle(angle, for: motor))
        }
    }

    func rested() { limits.withLock { $0.rested() } }


    /// Returns whether the battery is now below the low mark.
    func battery(_ percent: Int) -> Bool {
        limits.withLock { guardRail in
            guardRail.battery(percent)
            return percent < guardRail.lowBatteryPercent
        }
    }

    func stopAll() { player.stopAll() }
}
