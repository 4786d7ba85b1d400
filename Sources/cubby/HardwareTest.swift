import ArgumentParser
import CubbyAudio
import CubbyConfiguration
import CubbyControl
import CubbyCore
import CubbyHardware
import Foundation

/// `cubby hw test`: for makers and repair, exercises each motor and reads each sensor of a board, saying
/// what it did, so a loose servo or a dead accelerometer shows before the toy is sewn up.
struct HardwareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hw", abstract: "Test a board's motors and sensors (for makers and repair).",
                                                    subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move each motor to its limits and back to rest, light each light, and read each sensor once.",
            discussion: "Stop cubbyd first (systemctl stop cubbyd): the daemon and this test must not drive the same motors.")
        @OptionGroup var options: ConfigOption

        @Option(help: ArgumentHelp("A board folder to test instead of the configuration's [device] board.", valueName: "folder"))
        var board: String?

        @Option(help: "How long each motor holds each position, in milliseconds.")
        var hold = 600

        @Flag(help: "Run even though the daemon answers on its control socket.")
        var force = false

        func run() throws {
            // With --board the configuration is still read when it is there: its socket says whether cubbyd runs.
            let configuration = board == nil ? try loadConfiguration(options) : try? ConfigurationLoader.load(path: options.config)
            let folder = board ?? configuration!.boardFolder
            let definition: BoardDefinition
            do { definition = try BoardDefinition.load(folder: folder) } catch { throw ValidationError("\(error)") }
            if let configuration, !force, (try? ControlClient(socketPath: configuration.controlSocket, timeoutSeconds: 2).exchange(ControlRequest(command: "hello"))) != nil {
                throw ValidationError("cubbyd is running and drives these motors: stop it first (systemctl stop cubbyd), or pass --force")
            }
            print("board: \(definition.name) (\(folder))")
            let body = definition.body
            var failures = 0
            if let card = definition.mixerCard {
                do {
                    let mixer = try ALSAMixer(card: card)
                    try mixer.apply(definition.mixer)
                    let set = definition.mixer.map { setting in
                        switch setting.value {
                        case .percent(let percent): "\(setting.control) \(percent) %"
                        case .on(let on): "\(setting.control) \(on ? "on" : "off")"
                        }
                    }
                    print("mixer \(card): set \(set.isEmpty ? "nothing" : set.joined(separator: ", ")) — ok (the card has: \(mixer.controls().joined(separator: ", ")))")
                } catch {
                    failures += 1
                    print("mixer \(card): FAILED — \(error)")
                }
            }
            let log = try? BoardEventLog(path: definition.eventLog ?? configuration.map { ($0.dataDirectory as NSString).appendingPathComponent("board-events.jsonl") })
            let motors = BoardMotors(body: body, log: log)
            if body.motors.isEmpty { print("motors: none") }
            for motor in body.motors {
                let limits = motor.limits
                do {
                    for angle in [limits.angles.lowerBound, limits.angles.upperBound, limits.rest] {
                        try motors.move(motor, to: angle)
                        usleep(UInt32(max(0, min(hold, 10_000)) * 1_000))
                    }
                    try motors.stop(motor)
                    if let stall = motor.stall {
                        do { print("motor \(motor.name): current \(try stall.read()) mA at rest (a stall is over \(stall.milliamps) mA)") } catch {
                            failures += 1
                            print("motor \(motor.name): current FAILED — \(error)")
                        }
                    }
                    print("motor \(motor.name): moved to \(Int(limits.angles.lowerBound))°, \(Int(limits.angles.upperBound))° and rest \(Int(limits.rest))° — ok (did it move smoothly?)")
                } catch {
                    failures += 1
                    // Never left driven after a failure.
                    try? motors.stop(motor)
                    print("motor \(motor.name): FAILED — \(error)")
                }
            }
            let lights = BoardLights(body: body, log: log)
            if body.lights.isEmpty { print("lights: none") }
            // The board's lights full, dim and off; its indicators (listening, mute) on and off.
            let checks = body.lights.map { (label: "light \($0.name)", spec: $0, levels: [100, 30, 0], said: "full, dim, off") }
                + body.indicators.sorted { $0.key < $1.key }.map { (label: "\($0.key) light", spec: $0.value, levels: [100, 0], said: "on, off") }
            for check in checks {
                do {
                    for level in check.levels {
                        try lights.set(check.spec, brightness: level)
                        usleep(UInt32(max(0, min(hold, 10_000)) * 1_000))
                    }
                    print("\(check.label): \(check.said) — ok (did it light?)")
                } catch {
                    failures += 1
                    print("\(check.label): FAILED — \(error)")
                }
            }
            if let path = body.accelerometer {
                do {
                    let (x, y, z) = try IIOAccelerometer(folder: path).read()
                    let magnitude = (x * x + y * y + z * z).squareRoot()
                    print(String(format: "accelerometer: x %.2f y %.2f z %.2f m/s² (|a| %.2f; at rest it should be near 9.81)", x, y, z, magnitude))
                } catch {
                    failures += 1
                    print("accelerometer: FAILED — \(error)")
                }
            }
            if let path = body.battery {
                do { print("battery: \(try PowerSupplyBattery(folder: path).percent()) %") } catch {
                    failures += 1
                    print("battery: FAILED — \(error)")
                }
            }
            if let touch = body.touch { print("touch pad: \(touch) (touch it while cubbyd runs: the log says pat or hug)") }
            if let trace = body.sensorTrace { print("sensors: simulated, replayed from \(trace)") }
            if body.accelerometer == nil && body.battery == nil && body.sensorTrace == nil && body.touch == nil { print("sensors: none") }
            print("speaker: at most \(body.maximumVolume) of 100")
            if failures > 0 {
                print("\(failures) part\(failures == 1 ? "" : "s") failed")
                throw ExitCode(1)
            }
        }
    }
}
