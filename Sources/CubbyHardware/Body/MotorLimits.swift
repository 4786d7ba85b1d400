import Foundation

/// One motor as the board allows it to move: its angle limits, rest position and longest run. No persona,
/// model or expression can take it past these.
public struct MotorLimits: Sendable, Equatable {
    public var name: String
    /// Degrees, lowest first.
    public var angles: ClosedRange<Double>
    public var rest: Double
    /// The longest a motion may drive the motor before it stops.
    public var maximumRunMilliseconds: Int

    public init(name: String, angles: ClosedRange<Double>, rest: Double, maximumRunMilliseconds: Int) {
        self.name = name
        self.angles = angles
        self.rest = rest
        self.maximumRunMilliseconds = maximumRunMilliseconds
    }
}

/// One step of a motion: move `motor` to `angle` over `milliseconds`.
public struct MotionStep: Sendable, Equatable {
    public var motor: String
    public var angle: Double
    public var milliseconds: Int

    public init(motor: String, angle: Double, milliseconds: Int) {
        self.motor = motor
        self.angle = angle
        self.milliseconds = milliseconds
    }
}

