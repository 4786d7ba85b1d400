import Foundation

/// One reading from the toy's body, at a moment since its sensors started (a board's clock, or a trace's).
public struct SensorEvent: Sendable, Equatable {
    public enum Reading: Sendable, Equatable {
        /// A touch pad (or a hug sensor) went on or off.
        case touch(Bool)
        /// The accelerometer, in m/s² with gravity included: at rest the magnitude is about 9.81.
        case acceleration(x: Double, y: Double, z: Double)
        /// The battery's charge, 0-100.
        case battery(percent: Int)
    }

    /// Milliseconds since the sensors started.
    public var milliseconds: Int
    public var reading: Reading

    public init(milliseconds: Int, reading: Reading) {
        self.milliseconds = milliseconds
        self.reading = reading
    }
}

/// What a child did to the toy, recognised from the raw readings.
public enum Gesture: String, Sendable, CaseIterable {
    case pat, hug, shake
    case pickUp = "pick_up"
    case putDown = "put_down"
    case fall
}
