import CubbyAudio
import CubbyBody
import CubbyCore
import CubbyHardware
import Foundation
import CubbyTestSupport
import Synchronization
import Testing

/// Gestures from recorded-style sensor traces: each one recognised, and the near misses not.
@Suite struct GestureTests {
    /// Builds a trace: touches, and accelerometer samples every 10 ms.
    struct Trace {
        var events: [SensorEvent] = []
        var now = 0

        mutating func touch(_ on: Bool) { events.append(SensorEvent(milliseconds: now, reading: .touch(on))) }
        mutating func wait(_ milliseconds: Int) { now += milliseconds }
        /// `milliseconds` of samples, `z(t)` along the vertical, a small wobble (`wobble` m/s²) on the others.
        mutating func motion(_ milliseconds: Int, wobble: Double = 0.02, z: (Int) -> Double) {
            for t in stride(from: 0, to: milliseconds, by: 10) {
                let w = wobble * sin(Double(now + t) / 37)
                events.append(SensorEvent(milliseconds: now + t, reading: .acceleration(x: w, y: -w, z: z(t))))
            }
            now += milliseconds
        }
        mutating func still(_ milliseconds: Int) { motion(milliseconds) { _ in GestureRecognizer.gravity } }
    }

    func gestures(_ trace: Trace) -> [Gesture] {
        var recognizer = GestureRecognizer()
        return trace.events.flatMap { recognizer.feed($0) }
    }

    @Test func twoQuickTapsAreAPatAndOneIsNothing() {
        var pat = Trace()
        pat.touch(true); pat.wait(150); pat.touch(false); pat.wait(300); pat.touch(true); pat.wait(150); pat.touch(false)
        #expect(gestures(pat) == [.pat])
        var tap = Trace()
        tap.touch(true); tap.wait(150); tap.touch(false); tap.wait(3_000); tap.touch(true); tap.wait(150); tap.touch(false)
        #expect(gestures(tap).isEmpty, "two taps seconds apart are not a pat")
    }

    @Test func aLongTouchIsOneHugNotAPat() {
        var hug = Trace()
        hug.touch(true)
        hug.still(2_500)
        hug.touch(false)
        #expect(gestures(hug) == [.hug])
        var short = Trace()
        short.touch(true)
        short.still(900)
        short.touch(false)
        #expect(gestures(short).isEmpty, "under a second and a half, and too long for a tap")
    }

    @Test func aShakeIsSeveralHardJoltsAndAWalkIsNot() {
        var shake = Trace()
        shake.still(500)
        shake.motion(800) { t in t % 160 < 80 ? 24 : -4 }
        #expect(gestures(shake).contains(.shake))
        var walk = Trace()
        walk.still(500)
        walk.motion(3_000, wobble: 1.2) { t in GestureRecognizer.gravity + 1.5 * sin(Double(t) / 80) }
        #expect(!gestures(walk).contains(.shake), "carried along, the toy is not shaken")
    }

    @Test func aFallIsFreeFallAndAPickUpIsALiftFromRest() {
        var fall = Trace()
        fall.still(1_000)
        fall.motion(300) { _ in 0.4 }
        fall.motion(60) { _ in 30 }
        fall.still(1_200)
        #expect(gestures(fall).first == .fall)
        #expect(gestures(fall).filter { $0 == .fall }.count == 1)

        var pickUp = Trace()
        pickUp.still(1_000)
        pickUp.motion(250) { _ in GestureRecognizer.gravity + 3 }
        pickUp.motion(2_000, wobble: 0.8) { t in GestureRecognizer.gravity + 0.9 * sin(Double(t) / 50) }
        #expect(gestures(pickUp) == [.pickUp], "lifted and held in a hand that moves a little")

        var putDown = pickUp
        putDown.motion(150) { _ in GestureRecognizer.gravity - 2 }
        putDown.motion(60) { _ in GestureRecognizer.gravity + 4 }
        putDown.still(1_200)
        #expect(gestures(putDown) == [.pickUp, .putDown])

        var landing = Trace()
        landing.still(1_000)
        landing.motion(300) { _ in 0.4 }
        landing.motion(40) { _ in 30 }
        landing.motion(200) { _ in GestureRecognizer.gravity + 4 }
        landing.still(1_000)
        #expect(gestures(landing) == [.fall], "a landing's bounce is not a pick-up: the toy stays still after a fall")

        var bump = Trace()
        bump.still(1_000)
        bump.motion(40) { _ in GestureRecognizer.gravity + 3 }
        bump.still(1_000)
        #expect(gestures(bump).isEmpty, "a bump of the table is not a pick-up")
    }

    @Test func aTraceFileIsReadAndItsErrorsNamedByLine() throws {
        let events = try SensorTrace.parse("""
            # a hug
            {"ms": 0, "touch": true}
            {"ms": 10, "accel": [0, 0.5, 9.8]}

            {"ms": 2000, "touch": false}
            {"ms": 2500, "battery": 15}
            """, file: "hug.jsonl")
        #expect(events.count == 4)
        #expect(events[1] == SensorEvent(milliseconds: 10, reading: .acceleration(x: 0, y: 0.5, z: 9.8)))
        for (text, problem) in [("{\"ms\": 5, \"touch\": 1}", "true/false"), ("{\"ms\": 5, \"touch\": true, \"battery\": 3}", "exactly one of"),
                                ("{\"ms\": -1, \"touch\": true}", "\"ms\""),
                                ("{\"ms\": 5, \"accel\": [1, 2]}", "[x, y, z]"), ("{\"ms\": 5, \"battery\": 120}", "0-100"), ("nonsense", "not a JSON object"),
                                ("{\"ms\": 9, \"touch\": true}\n{\"ms\": 5, \"touch\": false}", "time order")] {
            #expect { _ = try SensorTrace.parse(text, file: "bad.jsonl") } throws: { error in
                "\(error)".contains("bad.jsonl:") && "\(error)".contains(problem)
            }
        }
    }
}

/// The limits no persona or model overrides, and the PWM backend against a fake sysfs tree.
@Suite struct MotionTests {
    static let head = MotorSpec(limits: MotorLimits(name: "head", angles: -30...30, rest: 0, maximumRunMilliseconds: 1_000),
                                drive: .pwmServo(chip: 0, channel: 1), pulseMicroseconds: 1_000...2_000)

    @Test func aHostileMotionIsClampedCutShortAndStoppedByAFall() {
        var guardRail = MotionGuard(motors: [Self.head.limits])
        let hostile = [MotionStep(motor: "head", angle: 170, milliseconds: 600), MotionStep(motor: "head", angle: -400, milliseconds: 900),
                       MotionStep(motor: "tail", angle: 10, milliseconds: 100), MotionStep(motor: "head", angle: .nan, milliseconds: 10),
                       MotionStep(motor: "head", angle: 5, milliseconds: 500)]
        let allowed = guardRail.allowed(hostile)
        #expect(allowed == [MotionStep(motor: "head", angle: 30, milliseconds: 600), MotionStep(motor: "head", angle: -30, milliseconds: 400)],
                "within the angles, no unknown motor, and no longer than the motor's longest run")
        guardRail.battery(12)
        #expect(guardRail.allowed([MotionStep(motor: "head", angle: 30, milliseconds: 100)]).first?.angle == 15, "a low battery halves the motion")
        guardRail.fell()
        #expect(guardRail.allowed([MotionStep(motor: "head", angle: 10, milliseconds: 100)]).isEmpty, "after a fall nothing moves")
        guardRail.rested()
        #expect(!guardRail.allowed([MotionStep(motor: "head", angle: 10, milliseconds: 100)]).isEmpty)
    }

    @Test func theSysfsServoWritesPeriodDutyAndEnable() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pwm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A fake tree: the chip's export file; the channel folder appears as the kernel would make it.
        try FileManager.default.createDirectory(atPath: root + "/pwmchip0/pwm1", withIntermediateDirectories: true)
        for file in ["export", "pwm1/period", "pwm1/duty_cycle", "pwm1/enable"] { FileManager.default.createFile(atPath: root + "/pwmchip0/" + file, contents: nil) }
        let servos = SysfsPWMServos(root: root)
        try servos.move(Self.head, to: 15)
        let read = { (file: String) in try String(contentsOfFile: root + "/pwmchip0/pwm1/" + file, encoding: .utf8) }
        #expect(try read("period") == "20000000\n")
        #expect(try read("duty_cycle") == "1750000\n", "15° of -30…30 is three quarters of 1000…2000 µs")
        #expect(try read("enable") == "1\n")
        try servos.stop(Self.head)
        #expect(try read("enable") == "0\n")
        #expect(throws: CubbyError.self) { try SysfsPWMServos(root: root + "/missing").move(Self.head, to: 0) }
    }

    @Test func aBoardsMotorsAndMotionsAreReadAndCheckedNamingTheKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let good = """
            format = 1
            name = "plush"
            [audio]
            max_volume = 70
            [audio.input]
            kind = "silence"
            [motors.head]
            kind = "servo"
            pwm_chip = 0
            channel = 1
            angle_limits = [-30, 30]
            pulse_us = [1000, 2000]
            max_run_ms = 1500
            [motions.nod]
            steps = ["head 20 150", "head -20 150", "head 0 150"]
            [sensors]
            trace = "hug.jsonl"
            """
        try good.write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
        let board = try BoardDefinition.load(folder: folder)
        #expect(board.body.motors.map(\.name) == ["head"] && board.body.maximumVolume == 70)
        #expect(board.body.motions["nod"]?.count == 3 && board.body.sensorTrace == folder + "/hug.jsonl")
        for (find, replace, names) in [("angle_limits = [-30, 30]", "angle_limits = [30, -30]", "[motors.head] angle_limits"),
                                       ("\"head 0 150\"", "\"tail 0 150\"", "[motions.nod] steps"),
                                       ("max_run_ms = 1500", "max_run_ms = 999999", "[motors.head] max_run_ms"),
                                       ("max_volume = 70", "max_volume = 170", "[audio] max_volume")] {
            try good.replacingOccurrences(of: find, with: replace).write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
            #expect { _ = try BoardDefinition.load(folder: folder) } throws: { "\($0)".contains(names) && "\($0)".contains("board.toml") }
        }
    }
}

/// The sysfs sensors against a fake tree: the same code a board runs.
@Suite struct SysfsSensorTests {
    @Test func anIIOAccelerometerAndAPowerSupplyBatteryAreRead() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sysfs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let accel = root + "/bus/iio/devices/iio:device0", battery = root + "/class/power_supply/BAT0"
        for folder in [accel, battery] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        for (file, value) in [("in_accel_scale", "0.009576"), ("in_accel_x_raw", "12"), ("in_accel_y_raw", "-30"), ("in_accel_z_raw", "1024")] {
            try (value + "\n").write(toFile: accel + "/" + file, atomically: true, encoding: .utf8)
        }
        try "87\n".write(toFile: battery + "/capacity", atomically: true, encoding: .utf8)
        let reading = try IIOAccelerometer(folder: accel).read()
        #expect(abs(reading.z - 9.806) < 0.01 && abs(reading.x - 0.115) < 0.001 && reading.y < 0)
        #expect(try PowerSupplyBattery(folder: battery).percent() == 87)
        try "lots\n".write(toFile: battery + "/capacity", atomically: true, encoding: .utf8)
        #expect { _ = try PowerSupplyBattery(folder: battery).percent() } throws: { "\($0)".contains("capacity") }
        #expect(throws: CubbyError.self) { _ = try IIOAccelerometer(folder: root + "/missing").read() }
    }
}

@Suite struct ExampleBoardTests {
    @Test(arguments: ["sim", "pi-zero-2w"])
    func theShippedBoardsLoad(name: String) throws {
        let board = try BoardDefinition.load(folder: Sandbox.packageRoot + "/Hardware/" + name)
        #expect(board.name == name && !board.body.motors.isEmpty && !board.body.motions.isEmpty)
        #expect(board.body.motions.values.allSatisfy { $0.allSatisfy { step in board.body.motors.contains { $0.name == step.motor } } })
    }
}

@Suite struct LightTests {
    @Test func aPWMLightIsDimmedByItsDutyCycleAndTheListeningLightIsNotTheBoardsToName() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pwm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/pwmchip1/pwm0", withIntermediateDirectories: true)
        for file in ["export", "pwm0/period", "pwm0/duty_cycle", "pwm0/enable"] { FileManager.default.createFile(atPath: root + "/pwmchip1/" + file, contents: nil) }
        var body = BodyDefinition()
        body.pwmRoot = root
        let cheeks = LightSpec(name: "cheeks", drive: .pwm(chip: 1, channel: 0))
        try BoardLights(body: body, log: nil).set(cheeks, brightness: 40)
        let read = { (file: String) in try String(contentsOfFile: root + "/pwmchip1/pwm0/" + file, encoding: .utf8) }
        #expect(try read("period") == "1000000\n" && read("duty_cycle") == "400000\n" && read("enable") == "1\n")
        try BoardLights(body: body, log: nil).set(cheeks, brightness: 250)
        #expect(try read("duty_cycle") == "1000000\n", "clamped to 100 %")
        try BoardLights(body: body, log: nil).set(cheeks, brightness: 0)
        #expect(try read("enable") == "0\n")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (extra, names) in [("[lights.listening]\nkind = \"logged\"", "[lights] listening"),
                               ("[lights.cheeks]\nkind = \"logged\"\n[light_patterns.glow]\nsteps = [\"nose 50 100\"]", "[light_patterns.glow] steps"),
                               ("[lights.cheeks]\nkind = \"logged\"\n[light_patterns.glow]\nsteps = [\"cheeks 150 100\"]", "0-100 percent")] {
            try "format = 1\nname = \"b\"\n[audio.input]\nkind = \"silence\"\n\(extra)\n".write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
            #expect { _ = try BoardDefinition.load(folder: folder) } throws: { "\($0)".contains(names) }
        }
    }
}

@Suite struct LEDStripTests {
    func device() -> String {
        let device = FileManager.default.temporaryDirectory.appendingPathComponent("spidev-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: device, contents: nil)
        return device
    }

    @Test func anAPA102StripGetsStartFrameLEDFramesAndEndFrame() throws {
        let device = device()
        defer { try? FileManager.default.removeItem(atPath: device) }
        let strip = LightSpec(name: "belly", drive: .spiStrip(device: device, chip: .apa102, count: 3, colours: [LEDColour(red: 0xFF, green: 0xB0, blue: 0x70)]))
        try BoardLights(body: BodyDefinition(), log: nil).set(strip, brightness: 50)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: device)))
        // Half brightness is 16 of 31; each LED is brightness, blue, green, red.
        let led: [UInt8] = [0xE0 | 16, 0x70, 0xB0, 0xFF]
        #expect(bytes == [0, 0, 0, 0] + led + led + led + [0xFF, 0xFF, 0xFF, 0xFF], "\(bytes)")
        #expect(APA102.frame([LEDColour(red: 1, green: 2, blue: 3)], brightness: 0)[4] == 0xE0, "off is brightness 0, not a dropped frame")
    }

    /// Decodes a WS2812 SPI frame of `count` LEDs the way the chip reads it: after a leading zero byte,
    /// three SPI bits a bit (110 a one, 100 a zero), green, red, blue; then how many low bits follow.
    func decodeWS2812(_ bytes: [UInt8], count: Int) -> (leds: [LEDColour], latchBits: Int)? {
        var bits: [Bool] = []
        for byte in bytes { for index in (0..<8).reversed() { bits.append(byte >> index & 1 == 1) } }
        guard bits.count >= 8 + count * 72, bits.prefix(8).allSatisfy({ !$0 }) else { return nil }
        var symbols: [Bool] = []
        for start in stride(from: 8, to: 8 + count * 72, by: 3) {
            guard bits[start], !bits[start + 2] else { return nil }
            symbols.append(bits[start + 1])
        }
        let latch = bits[(8 + count * 72)...]
        guard latch.allSatisfy({ !$0 }) else { return nil }
        var leds: [LEDColour] = []
        for start in stride(from: 0, to: symbols.count, by: 24) {
            let byte = { (offset: Int) in symbols[(start + offset)..<(start + offset + 8)].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) } }
            leds.append(LEDColour(red: byte(8), green: byte(0), blue: byte(16)))
        }
        return (leds, latch.count)
    }

    @Test func aWS2812StripGetsGreenRedBlueAsPulseWidthsThenALatch() throws {
        let device = device()
        defer { try? FileManager.default.removeItem(atPath: device) }
        let red = LEDColour(red: 0xFF, green: 0, blue: 0), blue = LEDColour(red: 0, green: 0, blue: 0xFF)
        let strip = LightSpec(name: "belly", drive: .spiStrip(device: device, chip: .ws2812, count: 5, colours: [red, blue]))
        try BoardLights(body: BodyDefinition(), log: nil).set(strip, brightness: 100)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: device)))
        let decoded = try #require(decodeWS2812(bytes, count: 5), "every bit is 110 or 100")
        #expect(decoded.leds == [red, blue, red, blue, red], "the colours repeat along the strip")
        #expect(decoded.latchBits >= 2_400_000 / 1_000_000 * 280, "at least 280 µs low latches the colours: \(decoded.latchBits) bits")

        // A pattern step's own colours replace the strip's, and brightness scales them: the chip has none.
        try BoardLights(body: BodyDefinition(), log: nil).set(strip, brightness: 50, colours: [LEDColour(red: 0x80, green: 0x40, blue: 0x02)])
        let dimmed = try #require(decodeWS2812([UInt8](try Data(contentsOf: URL(fileURLWithPath: device))), count: 5))
        #expect(dimmed.leds == Array(repeating: LEDColour(red: 0x40, green: 0x20, blue: 0x01), count: 5))
        try BoardLights(body: BodyDefinition(), log: nil).set(strip, brightness: 0)
        #expect(try #require(decodeWS2812([UInt8](try Data(contentsOf: URL(fileURLWithPath: device))), count: 5)).leds.allSatisfy { $0 == LEDColour(red: 0, green: 0, blue: 0) })
    }

    @Test func aBoardFileGivesAStripItsChipColoursAndPatternColours() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let write = { (extra: String) in
            try "format = 1\nname = \"b\"\n[audio.input]\nkind = \"silence\"\n\(extra)\n".write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
        }
        try write("""
            [lights.belly]
            kind = "ws2812"
            device = "/dev/spidev0.1"
            count = 12
            colors = ["#FF8800", "#0044FF"]
            [lights.cheeks]
            kind = "logged"
            [light_patterns.rainbow]
            steps = ["belly 80 200 #FF0000,#00FF00,#0000FF", "belly 40 200", "cheeks 50 100"]
            """)
        let body = try BoardDefinition.load(folder: folder).body
        let belly = try #require(body.lights.first { $0.name == "belly" })
        #expect(belly.drive == .spiStrip(device: "/dev/spidev0.1", chip: .ws2812, count: 12,
                                         colours: [LEDColour(red: 0xFF, green: 0x88, blue: 0), LEDColour(red: 0, green: 0x44, blue: 0xFF)]))
        #expect(body.lightPatterns["rainbow"]?.map(\.colours) == [[LEDColour(red: 0xFF, green: 0, blue: 0), LEDColour(red: 0, green: 0xFF, blue: 0),
                                                                   LEDColour(red: 0, green: 0, blue: 0xFF)], nil, nil])
        for (extra, names) in [("[lights.belly]\nkind = \"ws2812\"\ncolors = [\"#FF88\"]", "[lights.belly] colors"),
                               ("[lights.belly]\nkind = \"neopixel\"", "[lights.belly] kind"),
                               ("[lights.cheeks]\nkind = \"logged\"\n[light_patterns.glow]\nsteps = [\"cheeks 50 100 #FF0000\"]", "only a strip"),
                               ("[lights.belly]\nkind = \"apa102\"\n[light_patterns.glow]\nsteps = [\"belly 50 100 red\"]", "colours are")] {
            try write(extra)
            #expect { _ = try BoardDefinition.load(folder: folder) } throws: { "\($0)".contains(names) }
        }
    }
}

@Suite struct StallTests {
    static let arms = MotorSpec(limits: MotorLimits(name: "arms", angles: 0...90, rest: 10, maximumRunMilliseconds: 4_000), drive: .logged,
                                stall: StallSensing(current: "/unused", milliamps: 600, milliseconds: 100))

    @Test func aCurrentHeldOverTheMarkIsAStallOnceAndASurgeIsNot() {
        var detector = StallDetector(motors: [Self.arms, MotorSpec(limits: MotorLimits(name: "head", angles: -30...30, rest: 0, maximumRunMilliseconds: 1_000), drive: .logged)])
        #expect(detector.sensing.keys.sorted() == ["arms"], "only a motor whose current is measured")
        // A 60 ms surge as the servo starts.
        var surged: [Bool] = []
        for milliseconds in [0, 20, 40, 60] { surged.append(detector.feed("arms", milliamps: 900, at: milliseconds)) }
        #expect(!surged.contains(true))
        let eased = detector.feed("arms", milliamps: 200, at: 80)
        #expect(!eased)
        // Held against a hand: a stall at 100 ms over the mark, reported once.
        var stalls: [Int] = []
        for milliseconds in stride(from: 100, through: 400, by: 20) where detector.feed("arms", milliamps: 850, at: milliseconds) { stalls.append(milliseconds) }
        #expect(stalls == [200])
        let atTheMark = detector.feed("arms", milliamps: 600, at: 420)
        #expect(!atTheMark, "at the mark is not over it")
        let again = (detector.feed("arms", milliamps: 900, at: 440), detector.feed("arms", milliamps: 900, at: 540))
        #expect(!again.0 && again.1, "after it eased, a new stall counts again")
        let unmeasured = detector.feed("head", milliamps: 5_000, at: 600)
        #expect(!unmeasured)
        // Still pushing when its rest is over: a stall again, without the current having dropped.
        var pushing = StallDetector(motors: [Self.arms], restMilliseconds: 1_000)
        var times: [Int] = []
        for milliseconds in stride(from: 0, through: 2_400, by: 20) where pushing.feed("arms", milliamps: 900, at: milliseconds) { times.append(milliseconds) }
        #expect(times == [100, 1_200, 2_300], "\(times)")
    }

    @Test func aStalledMotorIsLeftOutOfMotionsUntilReleased() {
        var guardRail = MotionGuard(motors: [Self.arms.limits])
        let first = guardRail.stalled("arms")
        #expect(guardRail.allowed([MotionStep(motor: "arms", angle: 40, milliseconds: 100)]).isEmpty)
        let second = guardRail.stalled("arms")
        guardRail.released("arms", stall: first)
        #expect(guardRail.allowed([MotionStep(motor: "arms", angle: 40, milliseconds: 100)]).isEmpty, "the first stall's release does not end the second's rest")
        guardRail.released("arms", stall: second)
        #expect(guardRail.allowed([MotionStep(motor: "arms", angle: 40, milliseconds: 100)]).count == 1)
    }

    @Test func aMotorsCurrentIsReadFromItsFileAndTheBoardFileNamesAMissingHalf() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "-734\n".write(toFile: folder + "/curr1_input", atomically: true, encoding: .utf8)
        #expect(try StallSensing(current: folder + "/curr1_input", milliamps: 600, milliseconds: 100).read() == 734, "a negative current is the same load")
        try "lots".write(toFile: folder + "/curr1_input", atomically: true, encoding: .utf8)
        #expect { _ = try StallSensing(current: folder + "/curr1_input", milliamps: 600, milliseconds: 100).read() } throws: { "\($0)".contains("curr1_input") }
        let motor = "[motors.jaw]\nkind = \"logged\"\nangle_limits = [0, 30]\n"
        for (extra, names) in [(motor + "current = \"/sys/class/hwmon/hwmon1/curr1_input\"", "[motors.jaw] stall_ma"),
                               (motor + "stall_ma = 500", "[motors.jaw] current"),
                               (motor + "current = \"/x\"\nstall_ma = 500\nstall_ms = 5", "[motors.jaw] stall_ms")] {
            try "format = 1\nname = \"b\"\n[audio.input]\nkind = \"silence\"\n\(extra)\n".write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
            #expect { _ = try BoardDefinition.load(folder: folder) } throws: { "\($0)".contains(names) }
        }
        try "format = 1\nname = \"b\"\n[audio.input]\nkind = \"silence\"\n\(motor)current = \"/x\"\nstall_ma = 500\n".write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
        #expect(try BoardDefinition.load(folder: folder).body.motors.first?.stall == StallSensing(current: "/x", milliamps: 500, milliseconds: 200))
    }
}

@Suite struct MixerBoardTests {

    @Test func aBoardSetsItsCardsVolumesAndSwitchesInNameOrder() throws {
        let board = try BoardFile.load("""
            [audio.mixer]
            card = "hw:CARD=seeed2micvoicec"
            [audio.mixer.controls]
            "Speaker" = 90
            "Left Output Mixer PCM" = true
            "Capture" = 70
            """)
        #expect(board.mixerCard == "hw:CARD=seeed2micvoicec")
        #expect(board.mixer == [MixerSetting(control: "Capture", value: .percent(70)), MixerSetting(control: "Left Output Mixer PCM", value: .on(true)),
                                MixerSetting(control: "Speaker", value: .percent(90))])
        #expect(try BoardFile.load("").mixerCard == nil && BoardFile.load("").mixer.isEmpty, "a board without a mixer leaves the card alone")
        for (extra, names) in [("[audio.mixer.controls]\n\"Speaker\" = 90", "[audio.mixer] card"),
                               ("[audio.mixer]\ncard = \"hw:0\"\n[audio.mixer.controls]\n\"Speaker\" = 120", "[audio.mixer.controls] Speaker"),
                               ("[audio.mixer]\ncard = \"hw:0\"\n[audio.mixer.controls]\n\"Speaker\" = \"loud\"", "[audio.mixer.controls] Speaker")] {
            #expect { _ = try BoardFile.load(extra) } throws: { "\($0)".contains(names) }
        }
    }
}

@Suite struct IndicatorTests {

    @Test func theListeningLightIsAnLEDOfItsOwn() throws {
        let board = try BoardFile.load("[indicators.listening]\nkind = \"gpio\"\nline = 16\n[lights.cheeks]\nkind = \"apa102\"\ncount = 3")
        #expect(board.body.indicators["listening"]?.drive == .gpio(chip: "gpiochip0", line: 16))
        for (extra, names) in [("[indicators.listening]\nkind = \"gpio\"\nline = 16\n[lights.eyes]\nkind = \"gpio\"\nline = 16", "shares its LED with eyes"),
                               ("[indicators.listening]\nkind = \"apa102\"\n[lights.cheeks]\nkind = \"ws2812\"", "shares its LED with cheeks"),
                               ("[indicators.listening]\nkind = \"pwm\"\n[indicators.mute]\nkind = \"pwm\"", "[indicators] mute"),
                               ("[indicators.talking]\nkind = \"logged\"", "[indicators] talking"),
                               ("[indicators.listening]\nkind = \"apa102\"\ndevice = \"/dev/spidev0.1\"\n[lights.cheeks]\nkind = \"apa102\"\ndevice = \"/dev/spidev0.0\"",
                                "shares its LED with cheeks"),
                               ("[indicators.listening]\nkind = \"pwm\"\nchannel = 1\n[motors.head]\nangle_limits = [-30, 30]\nchannel = 1", "motor head"),
                               ("[indicators.listening]\nkind = \"ws2812\"\ncolor = \"#000000\"", "is black"),
                               ("[indicators.listening]\nkind = \"gpio\"\nline = 17\n[inputs.talk_button]\nkind = \"gpio\"\nline = 17", "[inputs.talk_button] reads")] {
            #expect { _ = try BoardFile.load(extra) } throws: { "\($0)".contains(names) }
        }
    }

    @Test func theListeningLightIsFullOnOrOffAndLoggedAndADeadOneIsRefusedAtStart() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pwm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/pwmchip0/pwm2", withIntermediateDirectories: true)
        for file in ["export", "pwm2/period", "pwm2/duty_cycle", "pwm2/enable"] { FileManager.default.createFile(atPath: root + "/pwmchip0/" + file, contents: nil) }
        var body = BodyDefinition()
        body.pwmRoot = root
        let log = try BoardEventLog(path: root + "/events.jsonl")
        let light = LightIndicator(name: "listening_light", spec: LightSpec(name: "listening", drive: .pwm(chip: 0, channel: 2)),
                                   driver: BoardLights(body: body, log: nil), log: log) { _ in }
        try light.check()
        let read = { (file: String) in try String(contentsOfFile: root + "/pwmchip0/pwm2/" + file, encoding: .utf8) }
        #expect(try read("enable") == "0\n", "off at start")
        light.set(true)
        #expect(try read("duty_cycle") == "1000000\n" && read("enable") == "1\n")
        light.set(false)
        #expect(try read("enable") == "0\n")
        #expect(try String(contentsOfFile: root + "/events.jsonl", encoding: .utf8).components(separatedBy: "listening_light").count == 3)

        var missing = BodyDefinition()
        missing.pwmRoot = root + "/not-there"
        let dead = LightIndicator(name: "listening_light", spec: LightSpec(name: "listening", drive: .pwm(chip: 0, channel: 2)),
                                  driver: BoardLights(body: missing, log: nil), log: nil) { _ in }
        #expect { try dead.check() } throws: { "\($0)".contains("listening_light light cannot be driven") }
    }

    struct FailingLights: LightDriver {
        func set(_ light: LightSpec, brightness: Int, colours: [LEDColour]?) throws(CubbyError) { throw CubbyError(.io, "the LED's line went away") }
    }

    @Test func aListeningLightThatFailsAtRuntimeSaysSoAndCallsForTheToyToStopListening() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("indicator-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = try BoardEventLog(path: folder + "/events.jsonl")
        let failures = Mutex(0)
        let light = LightIndicator(name: "listening_light", spec: LightSpec(name: "listening", drive: .gpio(chip: "gpiochip0", line: 16)),
                                   driver: FailingLights(), log: log) { _ in failures.withLock { $0 += 1 } }
        light.set(true)
        #expect(failures.withLock { $0 } == 1)
        let events = try String(contentsOfFile: folder + "/events.jsonl", encoding: .utf8)
        #expect(events.contains("\"state\":\"failed\"") && !events.contains("\"state\":\"on\""), "the log says what the LED shows: \(events)")
    }
}

/// A board file with a silent input and `extra`, loaded as the daemon loads it.
enum BoardFile {
    static func load(_ extra: String) throws -> BoardDefinition {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "format = 1\nname = \"b\"\n[audio.input]\nkind = \"silence\"\n\(extra)\n".write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
        return try BoardDefinition.load(folder: folder)
    }
}
