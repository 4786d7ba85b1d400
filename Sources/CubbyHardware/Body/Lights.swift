import CubbyCore
import Foundation

/// A light on the board (`[lights.<name>]`): an LED dimmed by a PWM channel, or logged (the simulated
/// board). The listening light is not one of these: it is the audio gate's alone.
public struct LightSpec: Sendable, Equatable {
    public enum Drive: Sendable, Equatable {
        /// An LED on a PWM channel (sysfs `pwmchipN/pwmM`), dimmed by its duty cycle at 1 kHz.
        case pwm(chip: Int, channel: Int)
        case logged
    }

    public var name: String
    public var drive: Drive

    public init(name: String, drive: Drive) {
        self.name = name
        self.drive = drive
    }
}

/// One step of a light pattern: `light` at `brightness` percent for `milliseconds`.
public struct LightStep: Sendable, Equatable {
    public var light: String
    public var brightness: Int
    public var milliseconds: Int

    public init(light: String, brightness: Int, milliseconds: Int) {
        self.light = light
        self.brightness = brightness
        self.milliseconds = milliseconds
    }
}

/// Sets a light's brightness, 0-100.
public protocol LightDriver: Sendable {
    func set(_ light: LightSpec, brightness: Int) throws(CubbyError)
}

/// The board's lights, each through its drive: PWM through sysfs (1 kHz, duty = brightness), logged on the
/// simulated board.
public struct BoardLights: LightDriver {
    let root: String
    let log: BoardEventLog?
    static let periodNanoseconds = 1_000_000

    public init(body: BodyDefinition, log: BoardEventLog?) {
        root = body.pwmRoot
        self.log = log
    }

    public func set(_ light: LightSpec, brightness: Int) throws(CubbyError) {
        let level = min(max(brightness, 0), 100)
        switch light.drive {
        case .logged:
            log?.record("light.\(light.name)", "\(level)")
        case .pwm(let chip, let channel):
            let servos = SysfsPWMServos(root: root)
            let folder = "\(root)/pwmchip\(chip)/pwm\(channel)"
            if !FileManager.default.fileExists(atPath: folder) { try servos.write("\(channel)", to: "\(root)/pwmchip\(chip)/export") }
            try servos.write("\(Self.periodNanoseconds)", to: folder + "/period")
            try servos.write("\(Self.periodNanoseconds / 100 * level)", to: folder + "/duty_cycle")
            try servos.write(level > 0 ? "1" : "0", to: folder + "/enable")
        }
    }
}
