import CubbyCore
import Foundation

/// An accelerometer through the kernel's IIO sysfs interface: `in_accel_{x,y,z}_raw` times `in_accel_scale`
/// (m/s²) under the device's folder (`/sys/bus/iio/devices/iio:deviceN`; a plain folder in tests).
public struct IIOAccelerometer: Sendable {
    public let folder: String

    public init(folder: String) {
        self.folder = folder
    }

    /// One reading, in m/s².
    public func read() throws(CubbyError) -> (x: Double, y: Double, z: Double) {
        let scale = try SysfsValue.number(folder + "/in_accel_scale")
        let x = try SysfsValue.number(folder + "/in_accel_x_raw"), y = try SysfsValue.number(folder + "/in_accel_y_raw")
        let z = try SysfsValue.number(folder + "/in_accel_z_raw")
        return (x * scale, y * scale, z * scale)
    }
}

/// A battery through the kernel's power_supply class: `capacity` (0-100) under
/// `/sys/class/power_supply/NAME`.
public struct PowerSupplyBattery: Sendable {
    public let folder: String

    public init(folder: String) {
        self.folder = folder
    }

    public func percent() throws(CubbyError) -> Int {
        let value = try SysfsValue.number(folder + "/capacity")
        guard (0...100).contains(value) else { throw CubbyError(.io, "the battery's capacity \(value) is not 0-100", context: folder) }
        return Int(value)
    }
}

/// How a motor's stall is seen: its current, in milliamps, read from a file (a hwmon `currN_input`, such
/// as an INA219's on the motor supply), above `milliamps` for `milliseconds` on end.
public struct StallSensing: Sendable, Equatable {
    public var current: String
    public var milliamps: Int
    public var milliseconds: Int

    public init(current: String, milliamps: Int, milliseconds: Int) {
        self.current = current
        self.milliamps = milliamps
        self.milliseconds = milliseconds
    }

    /// The current now, in milliamps.
    public func read() throws(CubbyError) -> Int {
        let value = try SysfsValue.number(current)
        guard abs(value) < 1_000_000 else { throw CubbyError(.io, "the motor current \(value) mA is not believable", context: current) }
        return Int(abs(value))
    }
}

/// Reads one number from a sysfs attribute.
enum SysfsValue {
    static func number(_ path: String) throws(CubbyError) -> Double {
        guard let data = FileManager.default.contents(atPath: path) else { throw CubbyError(.io, "cannot read the sensor", context: path) }
        let text = String(decoding: data.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Double(text), value.isFinite else { throw CubbyError(.io, "\"\(text.prefix(20))\" is not a number", context: path) }
        return value
    }
}
