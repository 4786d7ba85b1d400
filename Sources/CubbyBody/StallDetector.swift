import CubbyHardware

/// Sees a motor stall from its current: a motor that draws more than its stall current for its stall time
/// on end is pushing against something it cannot move — a child's finger in a jaw, an arm held down —
/// and must stop before it hurts them or burns out. A short surge (a servo starting) is not a stall.
public struct StallDetector: Sendable {
    public let sensing: [String: StallSensing]
    /// When each motor's current went over its mark, while it stays over (after a stall: when the motor's
    /// rest ends, so a motor still pushing then stalls again).
    private var overSince: [String: Int] = [:]
    /// How long a stalled motor rests before a current still over its mark counts again.
    public let restMilliseconds: Int

    public init(motors: [MotorSpec], restMilliseconds: Int = 5_000) {
        self.restMilliseconds = restMilliseconds
        var sensing: [String: StallSensing] = [:]
        for motor in motors { if let stall = motor.stall { sensing[motor.name] = stall } }
        self.sensing = sensing
    }

    /// One reading of `motor`'s current at `milliseconds`; returns true once, when it becomes a stall.
    public mutating func feed(_ motor: String, milliamps: Int, at milliseconds: Int) -> Bool {
        guard let stall = sensing[motor] else { return false }
        guard milliamps > stall.milliamps else {
            overSince[motor] = nil
            return false
        }
        guard let since = overSince[motor] else {
            overSince[motor] = milliseconds
            return false
        }
        guard milliseconds - since >= stall.milliseconds else { return false }
        // Reported once; another stall counts after the current drops, or once the motor's rest is over.
        overSince[motor] = milliseconds + restMilliseconds
        return true
    }
}
