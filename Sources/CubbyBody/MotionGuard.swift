import CubbyHardware
import Foundation

/// The safety limits on the toy's body that nothing overrides: every step is clamped to its motor's
/// angles, a motion stops once it has run a motor for its longest run, a fall stops every motor at once
/// (and until the toy is picked up or put down), and a low battery halves how far the toy moves.
public struct MotionGuard: Sendable {
    public let motors: [String: MotorLimits]
    /// Below this charge the toy moves half as far.
    public var lowBatteryPercent = 20
    private(set) public var fallen = false
    /// Motors that stalled and rest until `released(_:stall:)`: nothing moves them meanwhile. Each stall
    /// has a number, so the release of an earlier stall does not end a later one's rest.
    private(set) public var stalls: [String: Int] = [:]
    private var stallCount = 0
    public var stalledMotors: Set<String> { Set(stalls.keys) }
    private(set) public var batteryPercent: Int?

    public init(motors: [MotorLimits]) {
        self.motors = Dictionary(motors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// What a motion may do: steps for unknown motors dropped, angles clamped (and halved on a low battery),
    /// and each motor's steps cut off once they reach its longest run. Nothing at all after a fall.
    public func allowed(_ steps: [MotionStep]) -> [MotionStep] {
        guard !fallen else { return [] }
        var ran: [String: Int] = [:]
        var result: [MotionStep] = []
        for step in steps {
            guard let motor = motors[step.motor], step.angle.isFinite, !stalledMotors.contains(step.motor) else { continue }
            let used = ran[step.motor, default: 0]
            guard used < motor.maximumRunMilliseconds else { continue }
            let angle = self.angle(step.angle, for: motor)
            let milliseconds = min(max(step.milliseconds, 0), motor.maximumRunMilliseconds - used)
            ran[step.motor] = used + milliseconds
            result.append(MotionStep(motor: step.motor, angle: angle, milliseconds: milliseconds))
        }
        return result
    }

    /// The angle `motor` may take for a wanted one: within its limits, and halfway back to rest on a low
    /// battery. Every move goes through it: motions here, lip-sync through `BodyMotion`.
    public func angle(_ wanted: Double, for motor: MotorLimits) -> Double {
        let clamped = min(max(wanted, motor.angles.lowerBound), motor.angles.upperBound)
        guard let battery = batteryPercent, battery < lowBatteryPercent else { return clamped }
        return motor.rest + (clamped - motor.rest) / 2
    }

    /// The toy fell: every motor stops now, and no motion runs until it rests again.
    public mutating func fell() { fallen = true }
    /// `motor` stalled: it is let go and moves no more until this stall is released. Returns the stall's number.
    public mutating func stalled(_ motor: String) -> Int {
        stallCount += 1
        stalls[motor] = stallCount
        return stallCount
    }

    /// Ends `motor`'s rest, if `stall` is still the latest one.
    public mutating func released(_ motor: String, stall: Int) {
        if stalls[motor] == stall { stalls[motor] = nil }
    }
    /// The toy is in a child's hands or set down again (a pick-up or a put-down).
    public mutating func rested() { fallen = false }
    public mutating func battery(_ percent: Int) { batteryPercent = percent }
}
