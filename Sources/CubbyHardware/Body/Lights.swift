import CubbyCore
import Foundation
import SystemPackage

/// A light on the board (`[lights.<name>]`): an LED dimmed by a PWM channel, or logged (the simulated
/// board). The listening light is not one of these: it is the audio gate's alone.
public struct LightSpec: Sendable, Equatable {
    public enum Drive: Sendable, Equatable {
        /// An LED on a PWM channel (sysfs `pwmchipN/pwmM`), dimmed by its duty cycle at 1 kHz.
        case pwm(chip: Int, channel: Int)
        /// An LED on a GPIO line through libgpiod: on at any brightness above zero.
        case gpio(chip: String, line: Int)
        /// An addressable strip of APA102 ("DotStar") LEDs on a spidev device, all in one colour.
        case spiStrip(device: String, count: Int, red: UInt8, green: UInt8, blue: UInt8)
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
    /// GPIO lines are requested once, at the first change, and kept.
    private let lines = GPIOLines()

    public init(body: BodyDefinition, log: BoardEventLog?) {
        root = body.pwmRoot
        self.log = log
    }

    final class GPIOLines: @unchecked Sendable {
        // @unchecked: `opened` only under `lock`.
        private let lock = NSLock()
        private var opened: [String: LibGPIOLine] = [:]

        func line(chip: String, offset: Int) throws(CubbyError) -> LibGPIOLine {
            lock.lock()
            defer { lock.unlock() }
            if let line = opened["\(chip):\(offset)"] { return line }
            let line = try LibGPIOLine(chip: chip, offset: offset, direction: .output)
            opened["\(chip):\(offset)"] = line
            return line
        }
    }

    public func set(_ light: LightSpec, brightness: Int) throws(CubbyError) {
        let level = min(max(brightness, 0), 100)
        switch light.drive {
        case .logged:
            log?.record("light.\(light.name)", "\(level)")
        case .gpio(let chip, let line):
            try lines.line(chip: chip, offset: line).set(level > 0)
        case .spiStrip(let device, let count, let red, let green, let blue):
            try APA102.write(APA102.frame(count: count, red: red, green: green, blue: blue, brightness: level), to: device)
        case .pwm(let chip, let channel):
            try SysfsPWM(root: root, chip: chip, channel: channel)
                .drive(periodNanoseconds: Self.periodNanoseconds, dutyNanoseconds: Self.periodNanoseconds / 100 * level, enabled: level > 0)
        }
    }
}

/// APA102 ("DotStar") LEDs over SPI: a start frame of 32 zero bits, then per LED 0xE0 | 5-bit global
/// brightness, blue, green, red, then an end frame of at least half a bit per LED. Written to a spidev
/// device (`/dev/spidev0.0`) as plain bytes; tests write to a file and read the same bytes back.
public enum APA102 {
    public static func frame(count: Int, red: UInt8, green: UInt8, blue: UInt8, brightness percent: Int) -> [UInt8] {
        let level = UInt8((min(max(percent, 0), 100) * 31 + 50) / 100)
        var bytes = [UInt8](repeating: 0, count: 4)
        for _ in 0..<count { bytes += [0xE0 | level, blue, green, red] }
        bytes += [UInt8](repeating: 0xFF, count: max(4, (count + 15) / 16))
        return bytes
    }

    static func write(_ bytes: [UInt8], to device: String) throws(CubbyError) {
        do {
            let descriptor = try FileDescriptor.open(FilePath(device), .writeOnly)
            defer { try? descriptor.close() }
            _ = try descriptor.writeAll(bytes)
        } catch {
            throw CubbyError(.io, "could not write to the LED strip", context: device, underlying: error)
        }
    }
}
