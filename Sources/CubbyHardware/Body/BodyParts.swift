import CubbyCore
import Foundation

/// A motor on the board (`[motors.<name>]`): how it is driven and what the toy's body allows it to do.
public struct MotorSpec: Sendable, Equatable {
    public enum Drive: Sendable, Equatable {
        /// A hobby servo on a PWM channel (sysfs `pwmchipN/pwmM`): a 20 ms period, the pulse sets the angle.
        case pwmServo(chip: Int, channel: Int)
        /// Logged to the board's event log (the simulated board).
        case logged
    }

    public var limits: MotorLimits
    public var drive: Drive
    /// The pulse, in microseconds, at the lowest and the highest angle.
    public var pulseMicroseconds: ClosedRange<Int>
    /// Where the motor's current is measured, if it is, and what counts as a stall.
    public var stall: StallSensing?

    public var name: String { limits.name }

    public init(limits: MotorLimits, drive: Drive, pulseMicroseconds: ClosedRange<Int> = 500...2_500, stall: StallSensing? = nil) {
        self.limits = limits
        self.drive = drive
        self.pulseMicroseconds = pulseMicroseconds
        self.stall = stall
    }

    /// The pulse for an angle within the limits.
    public func pulse(for angle: Double) -> Int {
        let span = limits.angles.upperBound - limits.angles.lowerBound
        let fraction = span > 0 ? (angle - limits.angles.lowerBound) / span : 0.5
        return pulseMicroseconds.lowerBound + Int((Double(pulseMicroseconds.upperBound - pulseMicroseconds.lowerBound) * min(max(fraction, 0), 1)).rounded())
    }
}

/// The board's body, read from `board.toml`: motors, the motions made of them, and where sensor readings
/// come from. Every value is bounded; errors name the file and the key.
public struct BodyDefinition: Sendable, Equatable {
    public var motors: [MotorSpec] = []
    /// Named motions (the names a persona's expressions use), as steps.
    public var motions: [String: [MotionStep]] = [:]
    /// Lights, and the named patterns a persona's expressions use ("warm-glow"), as steps.
    public var lights: [LightSpec] = []
    public var lightPatterns: [String: [LightStep]] = [:]
    /// The lights only the toy's state drives (`[indicators.listening]`, `[indicators.mute]`): the
    /// listening light is on exactly while audio may leave the toy, and nothing else lights its LED.
    public var indicators: [String: LightSpec] = [:]
    /// The simulated board's scripted sensor events (a file of timed readings).
    public var sensorTrace: String?
    /// A real board's accelerometer (an IIO device folder) and battery (a power_supply folder), read at
    /// `sensorHz`.
    public var accelerometer: String?
    public var battery: String?
    /// A touch pad as an input device (`/dev/input/eventN`) and its key code (BTN_TOUCH is 330).
    public var touch: String?
    public var touchCode = 330
    public var sensorHz = 50
    /// Where the PWM chips are (tests point it at a fake tree).
    public var pwmRoot = "/sys/class/pwm"
    /// The loudest the speaker may play on this board, 0-100: no setting goes above it.
    public var maximumVolume = 100
    /// A motor that follows the toy's voice (lip-sync), and how far past rest it opens at full voice.
    public var mouth: String?
    public var mouthOpenDegrees = 20.0
    /// A light that follows the toy's voice instead of (or with) a mouth motor.
    public var mouthLight: String?
    /// How often the idle toy stirs (plays its `idle` motion), in minutes; 0 never.
    public var idleStirMinutes = 3

    public init() {}

    static func load(_ root: TOMLSection, audio: TOMLSection, folder: String) throws(CubbyError) -> BodyDefinition {
        var body = BodyDefinition()
        let motorsTable = try root.section("motors")
        guard motorsTable.values.count <= 16 else { throw motorsTable.error(motorsTable.values.keys.sorted()[0], "at most 16 motors") }
        for name in motorsTable.values.keys.sorted() {
            let table = try motorsTable.section(name)
            guard NameCheck.isName(name) else {
                throw motorsTable.error(name, "motor names are 1-32 characters of a-z, 0-9 and _")
            }
            let kind = try table.choice("kind", of: ["servo", "logged"], default: "servo")
            let drive: MotorSpec.Drive = kind == "logged" ? .logged
                : .pwmServo(chip: try table.integer("pwm_chip", default: 0, in: 0...63), channel: try table.integer("channel", default: 0, in: 0...63))
            guard let angles = try table.integers("angle_limits"), angles.count == 2, angles[0] < angles[1], angles.allSatisfy({ (-180...180).contains($0) }) else {
                throw table.error("angle_limits", "is required: [lowest, highest] degrees within -180..180, lowest first")
            }
            let pulses = try table.integers("pulse_us") ?? [500, 2500]
            guard pulses.count == 2, pulses[0] < pulses[1], pulses.allSatisfy({ (200...3000).contains($0) }) else {
                throw table.error("pulse_us", "must be [shortest, longest] microseconds within 200..3000")
            }
            let rest = try table.integer("rest", default: (angles[0] + angles[1]) / 2, in: angles[0]...angles[1])
            let run = try table.integer("max_run_ms", default: 3_000, in: 50...60_000)
            var stall: StallSensing?
            if let current = try table.string("current") {
                guard table.contains("stall_ma") else {
                    throw table.error("stall_ma", "is required with current: the milliamps above which the motor counts as stalled")
                }
                stall = StallSensing(current: current, milliamps: try table.integer("stall_ma", default: 0, in: 1...20_000),
                                     milliseconds: try table.integer("stall_ms", default: 200, in: 20...5_000))
            } else if table.contains("stall_ma") || table.contains("stall_ms") {
                throw table.error("current", "is required with stall_ma and stall_ms: the file that gives the motor's current in milliamps")
            }
            body.motors.append(MotorSpec(limits: MotorLimits(name: name, angles: Double(angles[0])...Double(angles[1]), rest: Double(rest), maximumRunMilliseconds: run),
                                         drive: drive, pulseMicroseconds: pulses[0]...pulses[1], stall: stall))
        }
        let motorNames = Set(body.motors.map(\.name))
        for (name, steps) in try sequences(try root.section("motions"), kind: "motion", step: "MOTOR DEGREES MILLISECONDS", example: "head 20 150",
                                           parts: motorNames, values: -360...360, valueProblem: "a motor of [motors]") {
            body.motions[name] = steps.map { MotionStep(motor: $0.part, angle: $0.value, milliseconds: $0.milliseconds) }
        }
        try loadLights(root, into: &body)
        let lipSync = try root.section("body")
        if let mouth = try lipSync.string("mouth") {
            guard body.motors.contains(where: { $0.name == mouth }) else { throw lipSync.error("mouth", "\"\(mouth.prefix(32))\" is not a motor of [motors]") }
            body.mouth = mouth
        }
        body.mouthOpenDegrees = Double(try lipSync.integer("mouth_open", default: 20, in: -90...90))
        if let light = try lipSync.string("mouth_light") {
            guard body.lights.contains(where: { $0.name == light }) else { throw lipSync.error("mouth_light", "\"\(light.prefix(32))\" is not a light of [lights]") }
            body.mouthLight = light
        }
        body.idleStirMinutes = try lipSync.integer("idle_stir_minutes", default: 3, in: 0...240)
        let sensors = try root.section("sensors")
        body.sensorTrace = try sensors.string("trace").map { ConfigPath.resolve($0, against: folder) }
        body.accelerometer = try sensors.string("accelerometer")
        body.battery = try sensors.string("battery")
        body.touch = try sensors.string("touch")
        body.touchCode = try sensors.integer("touch_code", default: body.touchCode, in: 0...767)
        body.sensorHz = try sensors.integer("rate_hz", default: body.sensorHz, in: 10...200)
        if body.sensorTrace != nil && (body.accelerometer != nil || body.battery != nil || body.touch != nil) {
            throw sensors.error("trace", "a board reads a trace (the simulated board) or its sensors, not both")
        }
        body.pwmRoot = try root.section("pwm").string("root", default: body.pwmRoot)
        body.maximumVolume = try audio.integer("max_volume", default: 100, in: 0...100)
        return body
    }

    /// How one light is driven (`kind` and its keys), for `[lights.<name>]` and `[indicators.<name>]` alike.
    static func lightDrive(_ table: TOMLSection) throws(CubbyError) -> LightSpec.Drive {
        let kind = try table.choice("kind", of: ["pwm", "gpio", "apa102", "ws2812", "logged"], default: "pwm")
        let drive: LightSpec.Drive
        switch kind {
        case "logged": drive = .logged
        case "gpio":
            guard table.contains("line") else { throw table.error("line", "is required: the LED's line on the GPIO chip") }
            drive = .gpio(chip: try table.string("chip", default: "gpiochip0"), line: try table.integer("line", default: 0, in: 0...1023))
        case "apa102", "ws2812":
            let colours: [LEDColour]
            if table.contains("colors") {
                let listed = try table.strings("colors") ?? []
                guard let parsed = LEDColour.list(listed) else {
                    throw table.error("colors", "must be 1-300 colours like \"#FFB070\", repeated along the strip")
                }
                colours = parsed
            } else {
                let colour = try table.string("color", default: "#FFB070")
                guard let parsed = LEDColour(hex: colour) else { throw table.error("color", "\"\(colour.prefix(16))\" is not a colour like \"#FFB070\"") }
                colours = [parsed]
            }
            drive = .spiStrip(device: try table.string("device", default: "/dev/spidev0.0"), chip: LEDStripChip(rawValue: kind) ?? .apa102,
                              count: try table.integer("count", default: 8, in: 1...300), colours: colours)
        default:
            drive = .pwm(chip: try table.integer("pwm_chip", default: 0, in: 0...63), channel: try table.integer("channel", default: 0, in: 0...63))
        }
        return drive
    }

    /// `[lights.<name>]` and `[light_patterns.<name>] steps = ["LIGHT PERCENT MILLISECONDS", …]`.
    private static func loadLights(_ root: TOMLSection, into body: inout BodyDefinition) throws(CubbyError) {
        let lightsTable = try root.section("lights")
        guard lightsTable.values.count <= 16 else { throw lightsTable.error(lightsTable.values.keys.sorted()[0], "at most 16 lights") }
        for name in lightsTable.values.keys.sorted() {
            guard NameCheck.isName(name), name != "listening" else {
                throw lightsTable.error(name, "light names are 1-32 characters of a-z, 0-9 and _ (and not \"listening\": that light is the audio gate's, [indicators.listening])")
            }
            let drive = try lightDrive(try lightsTable.section(name))
            body.lights.append(LightSpec(name: name, drive: drive))
        }
        let indicatorsTable = try root.section("indicators")
        for name in indicatorsTable.values.keys.sorted() {
            guard ["listening", "mute"].contains(name) else {
                throw indicatorsTable.error(name, "the indicators are listening (on while audio may leave the toy) and mute")
            }
            let spec = LightSpec(name: name, drive: try lightDrive(try indicatorsTable.section(name)))
            if let shared = body.lights.first(where: { $0.drive.sharesHardware(with: spec.drive) }) ?? body.indicators.values.first(where: { $0.drive.sharesHardware(with: spec.drive) }) {
                throw indicatorsTable.error(name, "shares its LED with \(shared.name): an indicator's LED is its own, so nothing but the toy's state can light it")
            }
            if let motor = body.motors.first(where: { spec.drive.sharesHardware(with: $0.drive) }) {
                throw indicatorsTable.error(name, "is on the PWM channel of motor \(motor.name)")
            }
            if case .spiStrip(_, _, _, let colours) = spec.drive, colours.allSatisfy({ $0 == LEDColour(red: 0, green: 0, blue: 0) }) {
                throw indicatorsTable.error(name, "is black: an indicator that is on must be seen")
            }
            body.indicators[name] = spec
        }
        let lightNames = Set(body.lights.map(\.name))
        let strips = Set(body.lights.compactMap { light -> String? in
            if case .spiStrip = light.drive { return light.name } else { return nil }
        })
        let patterns = try root.section("light_patterns")
        for (name, steps) in try sequences(patterns, kind: "pattern", step: "LIGHT PERCENT MILLISECONDS [COLOURS]", example: "cheeks 80 300",
                                           parts: lightNames, values: 0...100, valueProblem: "a light of [lights] and 0-100 percent", coloursFor: strips) {
            body.lightPatterns[name] = steps.map { LightStep(light: $0.part, brightness: Int($0.value), milliseconds: $0.milliseconds, colours: $0.colours) }
        }
    }

    struct SequenceStep {
        var part: String
        var value: Double
        var milliseconds: Int
        var colours: [LEDColour]?
    }

    /// `[<table>.<name>] steps = ["PART VALUE MILLISECONDS", …]`: the named sequences of a table (motions,
    /// light patterns), each step naming a known part, with a value in range and 0-10000 ms.
    private static func sequences(_ table: TOMLSection, kind: String, step format: String, example: String, parts: Set<String>,
                                  values: ClosedRange<Double>, valueProblem: String,
                                  coloursFor strips: Set<String> = []) throws(CubbyError) -> [(String, [SequenceStep])] {
        var result: [(String, [SequenceStep])] = []
        for name in table.values.keys.sorted() {
            // The names a persona's expressions use ("hug-squeeze", "warm-glow").
            guard NameCheck.isCue(name) else {
                throw table.error(name, "\(kind) names are 1-32 characters of a-z, 0-9, - and _")
            }
            let sequence = try table.section(name)
            guard let steps = try sequence.strings("steps"), !steps.isEmpty, steps.count <= 64 else {
                throw sequence.error("steps", "1-64 steps like \"\(example)\" (\(format.lowercased()))")
            }
            var parsed: [SequenceStep] = []
            for step in steps {
                let fields = step.split(separator: " ")
                if fields.count == 4 && parts.contains(String(fields[0])) && !strips.contains(String(fields[0])) {
                    throw sequence.error("steps", "\"\(step.prefix(40))\": \(fields[0]) is not an LED strip, and only a strip takes colours")
                }
                guard fields.count == 3 || (fields.count == 4 && strips.contains(String(fields[0]))), let value = Double(fields[1]), values.contains(value),
                      let milliseconds = Int(fields[2]), (0...10_000).contains(milliseconds), parts.contains(String(fields[0])) else {
                    throw sequence.error("steps", "\"\(step.prefix(40))\" must be \"\(format)\" with \(valueProblem)")
                }
                var colours: [LEDColour]?
                if fields.count == 4 {
                    guard let listed = LEDColour.list(fields[3].split(separator: ",").map(String.init)) else {
                        throw sequence.error("steps", "\"\(step.prefix(40))\": colours are \"#RRGGBB\" or a list like \"#FF0000,#0000FF\"")
                    }
                    colours = listed
                }
                parsed.append(SequenceStep(part: String(fields[0]), value: value, milliseconds: milliseconds, colours: colours))
            }
            result.append((name, parsed))
        }
        return result
    }
}
