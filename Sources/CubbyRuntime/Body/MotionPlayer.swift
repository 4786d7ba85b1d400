import CubbyCore
import CubbyHardware
import Logging
import Synchronization

/// Plays one motion at a time on the board's motors, and stops them all at once. A new motion replaces
/// the one playing; `stopAll` cancels it and stops every motor before it returns (a fall).
final class MotionPlayer: Sendable {
    let motors: [String: MotorSpec]
    let driver: any MotorDriver
    let clock: any CubbyClock
    let logger: Logger
    private let current = Mutex<Task<Void, Never>?>(nil)

    init(motors: [MotorSpec], driver: any MotorDriver, clock: any CubbyClock, logger: Logger) {
        self.motors = Dictionary(motors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.driver = driver
        self.clock = clock
        self.logger = logger
    }

    /// Plays steps the motion guard has already allowed, then returns each motor to rest and lets it go.
    func play(_ steps: [MotionStep]) {
        let (motors, driver, clock, logger) = (motors, driver, clock, logger)
        let task = Task {
            for step in steps {
                guard !Task.isCancelled, let motor = motors[step.motor] else { return }
                do { try driver.move(motor, to: step.angle) } catch { logger.error("a motor did not move", metadata: ["error": "\(error)"]) }
                try? await clock.sleep(for: .milliseconds(step.milliseconds))
            }
            guard !Task.isCancelled else { return }
            for name in Set(steps.map(\.motor)).sorted() {
                guard let motor = motors[name] else { continue }
                try? driver.move(motor, to: motor.limits.rest)
                try? driver.stop(motor)
            }
        }
        current.withLock { previous in
            previous?.cancel()
            previous = task
        }
    }

    /// Stops every motor now.
    func stopAll() {
        current.withLock { $0?.cancel(); $0 = nil }
        for motor in motors.values.sorted(by: { $0.name < $1.name }) {
            do { try driver.stop(motor) } catch { logger.error("a motor did not stop", metadata: ["motor": "\(motor.name)", "error": "\(error)"]) }
        }
    }
}
