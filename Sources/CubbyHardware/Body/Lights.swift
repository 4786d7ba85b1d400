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
        /// An addressable strip on a spidev device: APA102 ("DotStar") or WS2812 ("NeoPixel") LEDs, their
        /// colours repeated along the strip (one colour lights them all alike).
        case spiStrip(device: String, chip: LEDStripChip, count: Int, colours: [LEDColour])
        case logged
    }

    public var name: String
    public var drive: Drive

    public init(name: String, drive: Drive) {
        self.name = name
        self.drive = drive
    }
}

extension LightSpec.Drive {
    /// `/dev/spidev0.1` → `/dev/spidev0`; any other path stays as it is.
    static func bus(of device: String) -> String {
        guard let dot = device.lastIndex(of: "."), device[..<dot].contains("spidev"), device[device.index(after: dot)...].allSatisfy(\.isNumber) else { return device }
        return String(device[..<dot])
    }

    /// Whether this light would drive a motor's PWM channel.
    public func sharesHardware(with motor: MotorSpec.Drive) -> Bool {
        if case .pwm(let chip, let channel) = self, case .pwmServo(let motorChip, let motorChannel) = motor { return chip == motorChip && channel == motorChannel }
        return false
    }

    /// Whether two lights would drive the same LED (a PWM channel, a GPIO line, a strip).
    public func sharesHardware(with other: LightSpec.Drive) -> Bool {
        switch (self, other) {
        case (.pwm(let chip, let channel), .pwm(let otherChip, let otherChannel)): chip == otherChip && channel == otherChannel
        case (.gpio(let chip, let line), .gpio(let otherChip, let otherLine)): chip == otherChip && line == otherLine
        // Strips have no chip select: two chip selects of one bus (spidev0.0, spidev0.1) drive the same LEDs.
        case (.spiStrip(let device, _, _, _), .spiStrip(let otherDevice, _, _, _)): Self.bus(of: device) == Self.bus(of: otherDevice)
        default: false
        }
    }
}

/// An indicator on a real LED (`[indicators.listening]`): full on or off, and each change in the board's
/// event log as well, as on the simulated board (after the write, so the log says what the LED shows). A
/// write that fails is tried once more; if that fails too, `onFailure` runs — the daemon stops listening,
/// since audio must never leave the toy with its listening light dark. `check()` at start refuses a board
/// whose listening light cannot be driven at all.
public struct LightIndicator: Indicator {
    public let name: String
    let spec: LightSpec
    let driver: any LightDriver
    let log: BoardEventLog?
    let onFailure: @Sendable (CubbyError) -> Void

    public init(name: String, spec: LightSpec, driver: any LightDriver, log: BoardEventLog?, onFailure: @escaping @Sendable (CubbyError) -> Void) {
        self.name = name
        self.spec = spec
        self.driver = driver
        self.log = log
        self.onFailure = onFailure
    }

    public func set(_ on: Bool) {
        do {
            do { try driver.set(spec, brightness: on ? 100 : 0) } catch { try driver.set(spec, brightness: on ? 100 : 0) }
            log?.record(name, on ? "on" : "off")
        } catch {
            log?.record(name, "failed")
            onFailure(error)
        }
    }

    /// Turns the light off, throwing if its LED cannot be driven.
    public func check() throws(CubbyError) {
        do { try driver.set(spec, brightness: 0) } catch {
            throw CubbyError(.invalidConfiguration, "the \(name) light cannot be driven: \(error.message)", context: error.context)
        }
    }
}

/// One step of a light pattern: `light` at `brightness` percent for `milliseconds`, and for a strip,
/// optionally the colours to show (repeated along it) instead of its own.
public struct LightStep: Sendable, Equatable {
    public var light: String
    public var brightness: Int
    public var milliseconds: Int
    public var colours: [LEDColour]?

    public init(light: String, brightness: Int, milliseconds: Int, colours: [LEDColour]? = nil) {
        self.light = light
        self.brightness = brightness
        self.milliseconds = milliseconds
        self.colours = colours
    }
}

/// Sets a light's brightness, 0-100, and a strip's colours (nil: the strip's own).
public protocol LightDriver: Sendable {
    func set(_ light: LightSpec, brightness: Int, colours: [LEDColour]?) throws(CubbyError)
}

extension LightDriver {
    public func set(_ light: LightSpec, brightness: Int) throws(CubbyError) {
        try set(light, brightness: brightness, colours: nil)
    }
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

    public func set(_ light: LightSpec, brightness: Int, colours: [LEDColour]?) throws(CubbyError) {
        let level = min(max(brightness, 0), 100)
        switch light.drive {
        case .logged:
            log?.record("light.\(light.name)", colours.map { "\(level) " + $0.map(\.hex).joined(separator: ",") } ?? "\(level)")
        case .gpio(let chip, let line):
            try lines.line(chip: chip, offset: line).set(level > 0)
        case .spiStrip(let device, let chip, let count, let own):
            let shown = LEDColour.along(count: count, repeating: colours ?? own)
            switch chip {
            case .apa102: try SPIDevice.write(APA102.frame(shown, brightness: level), to: device, hertz: APA102.hertz)
            case .ws2812: try SPIDevice.write(WS2812.frame(shown, brightness: level), to: device, hertz: WS2812.hertz)
            }
        case .pwm(let chip, let channel):
            try SysfsPWM(root: root, chip: chip, channel: channel)
                .drive(periodNanoseconds: Self.periodNanoseconds, dutyNanoseconds: Self.periodNanoseconds / 100 * level, enabled: level > 0)
        }
    }
}

