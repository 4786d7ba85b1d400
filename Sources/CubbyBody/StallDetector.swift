import CubbyHardware

/// Sees a motor stall from its current: a motor that draws more than its stall current for its stall time
/// on end is pushing against something it cannot move — a child's finger in a jaw, an arm held down —
/// and must stop before it hurts them or burns out. A short surge (a servo starting) is not a stall.
public struct StallDetector: Sendable {
    public let sensing: [String: StallSensing]
    /// When each motor's current went over its mark, while it stays over.
    private var overSince: [String: Int] = [:]

    public init(motors: [MotorSpec]) {
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
        guard since != Int.min, milliseconds - since >= stall.milliseconds else { return false }
        // Reported once; the current must drop below the mark before another stall counts.
        overSince[motor] = Int.min
        return true
    }
}
