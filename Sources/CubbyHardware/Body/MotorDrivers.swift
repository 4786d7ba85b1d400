import CubbyCore
import Foundation
import SystemPackage

/// Moves one kind of motor. `stop` must return within a few milliseconds: a fall stops every motor.
public protocol MotorDriver: Sendable {
    func move(_ motor: MotorSpec, to angle: Double) throws(CubbyError)
    /// Stops driving the motor (the servo goes limp where it is).
    func stop(_ motor: MotorSpec) throws(CubbyError)
}

/// Hobby servos through the kernel's PWM sysfs interface: `<root>/pwmchipN/export`, then
/// `pwmM/period`, `duty_cycle` and `enable`, in nanoseconds. `root` is `/sys/class/pwm` on a board and a
/// folder of plain files in tests, which run the same code.
public struct SysfsPWMServos: MotorDriver {
    public let root: String
    static let periodNanoseconds = 20_000_000

    public init(root: String = "/sys/class/pwm") {
        self.root = root
    }

    func channel(_ motor: MotorSpec) throws(CubbyError) -> SysfsPWM {
        guard case .pwmServo(let chip, let channel) = motor.drive else { throw CubbyError(.invalidConfiguration, "\(motor.name) is not a PWM servo") }
        return SysfsPWM(root: root, chip: chip, channel: channel)
    }

    public func move(_ motor: MotorSpec, to angle: Double) throws(CubbyError) {
        try channel(motor).drive(periodNanoseconds: Self.periodNanoseconds, dutyNanoseconds: motor.pulse(for: angle) * 1_000, enabled: true)
    }

    public func stop(_ motor: MotorSpec) throws(CubbyError) {
        try channel(motor).disable()
    }
}

/// One PWM channel through sysfs (`<root>/pwmchipN/pwmM`), exported when the kernel has not yet made its
/// folder. Servos and dimmed LEDs both drive it: period, then duty cycle, then enable, in nanoseconds.
struct SysfsPWM {
    let root: String
    let chip: Int
    let channel: Int

    /// The channel's folder, exported first if it is not there.
    func folder() throws(CubbyError) -> String {
        let folder = "\(root)/pwmchip\(chip)/pwm\(channel)"
        if !FileManager.default.fileExists(atPath: folder) {
            try Self.write("\(channel)", to: "\(root)/pwmchip\(chip)/export")
        }
        return folder
    }

    func drive(periodNanoseconds: Int, dutyNanoseconds: Int, enabled: Bool) throws(CubbyError) {
        let folder = try folder()
        try Self.write("\(periodNanoseconds)", to: folder + "/period")
        try Self.write("\(dutyNanoseconds)", to: folder + "/duty_cycle")
        try Self.write(enabled ? "1" : "0", to: folder + "/enable")
    }

    func disable() throws(CubbyError) {
        try Self.write("0", to: try folder() + "/enable")
    }

    /// One value, written as sysfs wants it: the whole text in one write.
    static func write(_ value: String, to path: String) throws(CubbyError) {
        do {
            let descriptor = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.truncate])
            defer { try? descriptor.close() }
            _ = try descriptor.writeAll(Array((value + "\n").utf8))
        } catch {
            throw CubbyError(.io, "could not write \(value) to the PWM", context: path, underlying: error)
        }
    }
}

/// The simulated board's motors: each move and stop is a line in the board's event log.
public struct LoggedMotors: MotorDriver {
    let log: BoardEventLog

    public init(log: BoardEventLog) {
        self.log = log
    }

    public func move(_ motor: MotorSpec, to angle: Double) throws(CubbyError) {
        log.record("motor.\(motor.name)", String(format: "%.1f", angle))
    }

    public func stop(_ motor: MotorSpec) throws(CubbyError) {
        log.record("motor.\(motor.name)", "stop")
    }
}

/// The board's motors, each through its own drive: PWM servos through sysfs, the simulated ones logged.
public struct BoardMotors: MotorDriver {
    let servos: SysfsPWMServos
    let logged: LoggedMotors?

    public init(body: BodyDefinition, log: BoardEventLog?) {
        servos = SysfsPWMServos(root: body.pwmRoot)
        logged = log.map(LoggedMotors.init)
    }

    public func move(_ motor: MotorSpec, to angle: Double) throws(CubbyError) {
        switch motor.drive {
        case .pwmServo: try servos.move(motor, to: angle)
        case .logged: try logged?.move(motor, to: angle)
        }
    }

    public func stop(_ motor: MotorSpec) throws(CubbyError) {
        switch motor.drive {
        case .pwmServo: try servos.stop(motor)
        case .logged: try logged?.stop(motor)
        }
    }
}
