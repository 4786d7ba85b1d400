import CubbyAudio
import CubbyCore
import CubbyHardware
import Logging
import Synchronization

/// A mouth that follows the loudness of the toy's own voice, block by block as the speaker plays it: open
/// as far as `openDegrees` past rest at full voice, at rest in silence, let go when the speaker pauses.
/// Called on the speaker's thread, so it does only a few small writes, and only when the mouth moves by a
/// step. It stays still after a fall (the motion guard's say).
final class LipSync: Sendable {
    let mouth: MotorSpec
    let openDegrees: Double
    let driver: any MotorDriver
    /// Moves under the motion guard: not after a fall, less on a low battery (`BodyMotion.whileUpright`).
    let guarded: @Sendable (MotorLimits, Double, (Double) -> Void) -> Void
    let logger: Logger
    /// The mouth moves in steps this big, so the log (and the servo) is not flooded with tiny moves.
    static let step = 5.0
    private let last = Mutex<Double?>(nil)

    init(mouth: MotorSpec, openDegrees: Double, driver: any MotorDriver,
         guarded: @escaping @Sendable (MotorLimits, Double, (Double) -> Void) -> Void, logger: Logger) {
        self.mouth = mouth
        self.openDegrees = openDegrees
        self.driver = driver
        self.guarded = guarded
        self.logger = logger
    }

    /// How open the mouth is for a block's loudness: closed below -45 dBFS, fully open from -15 dBFS.
    static func opening(for block: [Int16]) -> Double {
        min(1, max(0, (SignalLevel.rmsDBFS(block) + 45) / 30))
    }

    /// The angle for a block (nil: the speaker paused), on a whole step from rest.
    func angle(for block: [Int16]?) -> Double {
        let limits = mouth.limits
        guard let block else { return limits.rest }
        let target = limits.rest + openDegrees * Self.opening(for: block)
        return limits.rest + ((target - limits.rest) / Self.step).rounded() * Self.step
    }

    /// Follows one block; the mouth shuts (and holds at rest) when the speaker pauses.
    func hear(_ block: [Int16]?) {
        let wanted = angle(for: block)
        guarded(mouth.limits, wanted) { allowed in
            let moved = last.withLock { previous -> Bool in
                guard previous != allowed, !(previous == nil && allowed == mouth.limits.rest) else { return false }
                previous = allowed
                return true
            }
            guard moved else { return }
            do { try driver.move(mouth, to: allowed) } catch { logger.error("the mouth did not move", metadata: ["error": "\(error)"]) }
        }
    }
}

/// A light that follows the loudness of the toy's voice (a glowing mouth or cheeks), in steps of a tenth,
/// dark in silence and when the speaker pauses.
final class LipSyncLight: Sendable {
    let light: LightSpec
    let driver: any LightDriver
    let logger: Logger
    private let last = Mutex<Int?>(nil)

    init(light: LightSpec, driver: any LightDriver, logger: Logger) {
        self.light = light
        self.driver = driver
        self.logger = logger
    }

    func hear(_ block: [Int16]?) {
        let level = block.map { Int((LipSync.opening(for: $0) * 10).rounded()) * 10 } ?? 0
        let changed = last.withLock { previous -> Bool in
            guard previous != level else { return false }
            previous = level
            return true
        }
        guard changed else { return }
        do { try driver.set(light, brightness: level) } catch { logger.error("the mouth light did not change", metadata: ["error": "\(error)"]) }
    }
}
