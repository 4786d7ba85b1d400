import CubbyCore
import CubbyHardware
import Logging
import Synchronization

/// Plays one motion at a time on the board's motors, and stops them all at once. A new motion replaces
/// the one playing. Every move happens under one lock with the motion's generation checked, and
/// `stopAll` bumps the generation under the same lock before it stops the motors: once it returns, no
/// move of an older motion can reach a motor (a fall).
final class MotionPlayer: Sendable {
    let motors: [String: MotorSpec]
    let driver: any MotorDriver
    let clock: any CubbyClock
    let logger: Logger
    /// How long a motor holds its rest position before it is let go.
    static let settle: Duration = .milliseconds(300)
    private let generation = Mutex(0)

    init(motors: [MotorSpec], driver: any MotorDriver, clock: any CubbyClock, logger: Logger) {
        self.motors = Dictionary(motors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.driver = driver
        self.clock = clock
        self.logger = logger
    }

    /// Plays steps the motion guard has already allowed, then returns each motor to rest and lets it go.
    func play(_ steps: [MotionStep]) {
        let mine = generation.withLock { current -> Int in
            current += 1
            return current
        }
        let (motors, clock) = (motors, clock)
        Task {
            for step in steps {
                guard let motor = motors[step.motor], self.move(motor, to: step.angle, if: mine) else { return }
                do { try await clock.sleep(for: .milliseconds(step.milliseconds)) } catch { return }
            }
            let used = Set(steps.map(\.motor)).sorted().compactMap { motors[$0] }
            for motor in used { guard self.move(motor, to: motor.limits.rest, if: mine) else { return } }
            do { try await clock.sleep(for: Self.settle) } catch { return }
            _ = self.generation.withLock { current -> Bool in
                guard current == mine else { return false }
                for motor in used { try? self.driver.stop(motor) }
                return true
            }
        }
    }

    /// Moves `motor` if no newer motion (or a stop) came since `generation`; returns whether it did.
    private func move(_ motor: MotorSpec, to angle: Double, if mine: Int) -> Bool {
        generation.withLock { current -> Bool in
            guard current == mine else { return false }
            do { try driver.move(motor, to: angle) } catch { logger.error("a motor did not move", metadata: ["error": "\(error)"]) }
            return true
        }
    }

    /// Stops every motor now; no move of a motion started before returns reaches a motor afterwards.
    func stopAll() {
        generation.withLock { current in
            current += 1
            for motor in motors.values.sorted(by: { $0.name < $1.name }) {
                do { try driver.stop(motor) } catch { logger.error("a motor did not stop", metadata: ["motor": "\(motor.name)", "error": "\(error)"]) }
            }
        }
    }
}
