import CubbyAudio
import CubbyCore
import Foundation

/// Where a board's audio comes from or goes to.
public enum AudioEndpointSpec: Sendable, Equatable {
    /// A WAV file (the simulated board).
    case wav(path: String)
    /// An ALSA PCM at the given rate and channel count.
    case alsa(ALSADeviceSpec, sampleRate: Int, channels: Int)
    /// A quiet room (input only): the simulated board listens without end and hears nothing, so buttons,
    /// routines and the parents' commands can be tried on it for as long as one likes.
    case silence
}

/// How the board's own controls are read.
public enum InputSpec: Sendable, Equatable {
    /// A named pipe; each line is a press (the simulated board, scripts, tests).
    case fifo(path: String)
    /// A key on an input device (`/dev/input/eventN`): EV_KEY `code` (BTN_0 is 256), debounced.
    case evdev(device: String, code: Int, debounceMilliseconds: Int)
    /// A button on a GPIO line through libgpiod, debounced.
    case gpio(chip: String, line: Int, activeLow: Bool, debounceMilliseconds: Int)
}

/// A board described as data (`Hardware/NAME/board.toml`): what it has and how to reach it.
///
/// Audio, the microphone's front end, the listening light and the board's buttons; the hardware issue
/// adds motors, LEDs, GPIO inputs and sensors to the same file.
public struct BoardDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    public var input: AudioEndpointSpec
    public var output: AudioEndpointSpec?
    /// Where logged actuators and sensors write their events (JSON lines); nil for the default.
    public var eventLog: String?
    public var folder: String
    /// Echo cancellation, noise suppression and gain for this board's microphone and speaker.
    public var frontEnd = FrontEndSettings()
    /// The talk button, touch pad and mute button, where the board has them.
    public var inputs: [BoardInput: InputSpec] = [:]
    /// Motors, motions, sensors and the speaker's safe maximum.
    public var body = BodyDefinition()
    /// The sound card whose mixer is set at start (`[audio.mixer] card`), and what it is set to.
    public var mixerCard: String?
    public var mixer: [MixerSetting] = []

    public static let fileName = "board.toml"

    /// Loads `board.toml` from a board folder. Relative paths in the file resolve against that folder.
    public static func load(folder: String) throws(CubbyError) -> BoardDefinition {
        let path = (folder as NSString).appendingPathComponent(fileName)
        let root = try TOMLSection.load(contentsOf: path)
        let format = try root.integer("format", default: 0, in: 0...Int.max)
        guard format == 1 else { throw root.error("format", format == 0 ? "is required (use 1)" : "\(format) is not supported (expected 1)") }
        let name = try root.requiredString("name")
        let description = try root.string("description", default: "")
        let audio = try root.section("audio")
        let input = try endpoint(try audio.section("input"), folder: folder, direction: .capture)
        let outputTable = try audio.section("output")
        let output = outputTable.values.isEmpty ? nil : try endpoint(outputTable, folder: folder, direction: .playback)
        let frontEnd = try frontEndSettings(try audio.section("front_end"))
        let (mixerCard, mixer) = try mixerSettings(try audio.section("mixer"))
        let events = try root.section("events")
        let eventLog = try events.string("log").map { ConfigPath.resolve($0, against: folder) }
        let inputsTable = try root.section("inputs")
        var inputs: [BoardInput: InputSpec] = [:]
        for input in BoardInput.allCases {
            let table = try inputsTable.section(input.rawValue)
            guard !table.values.isEmpty else { continue }
            let kind = try table.choice("kind", of: ["fifo", "evdev", "gpio"], default: "fifo")
            switch kind {
            case "gpio":
                guard table.contains("line") else { throw table.error("line", "is required: the line's offset on the GPIO chip, e.g. 17") }
                inputs[input] = .gpio(chip: try table.string("chip", default: "gpiochip0"), line: try table.integer("line", default: -1, in: 0...1023),
                                      activeLow: try table.boolean("active_low", default: true),
                                      debounceMilliseconds: try table.integer("debounce_ms", default: 50, in: 0...2_000))
            case "evdev":
                inputs[input] = .evdev(device: try table.requiredString("device"), code: try table.integer("code", default: 256, in: 0...767),
                                       debounceMilliseconds: try table.integer("debounce_ms", default: 50, in: 0...2_000))
            default:
                inputs[input] = .fifo(path: ConfigPath.resolve(try table.requiredString("path"), against: folder))
            }
        }
        let body = try BodyDefinition.load(root, audio: audio, folder: folder)
        // An indicator's LED is not also a button's line.
        for (name, indicator) in body.indicators {
            guard case .gpio(let chip, let line) = indicator.drive else { continue }
            for (input, spec) in inputs {
                if case .gpio(let inputChip, let inputLine, _, _) = spec, inputChip == chip, inputLine == line {
                    throw CubbyError(.invalidConfiguration, "[indicators] \(name): is on GPIO line \(line) of \(chip), which [inputs.\(input.rawValue)] reads", context: path)
                }
            }
        }
        try root.finish()
        var board = BoardDefinition(name: name, description: description, input: input, output: output, eventLog: eventLog, folder: folder)
        board.frontEnd = frontEnd
        board.inputs = inputs
        board.body = body
        board.mixerCard = mixerCard
        board.mixer = mixer
        return board
    }

    /// `[audio.mixer] card` and `[audio.mixer.controls] "Name" = 0-100 | true | false`, applied in name order.
    private static func mixerSettings(_ table: TOMLSection) throws(CubbyError) -> (String?, [MixerSetting]) {
        let card = try table.string("card")
        let controls = try table.section("controls")
        guard card != nil || controls.values.isEmpty else {
            throw table.error("card", "is required with [audio.mixer.controls]: the ALSA card whose mixer they are, e.g. \"hw:0\"")
        }
        guard controls.values.count <= 32 else { throw controls.error(controls.values.keys.sorted()[0], "at most 32 mixer controls") }
        var settings: [MixerSetting] = []
        for name in controls.values.keys.sorted() {
            guard !name.isEmpty, name.count <= 64 else { throw controls.error(String(name.prefix(64)), "control names are 1-64 characters") }
            if case .boolean = controls.values[name] {
                settings.append(MixerSetting(control: name, value: .on(try controls.boolean(name, default: false))))
            } else {
                settings.append(MixerSetting(control: name, value: .percent(try controls.integer(name, default: 0, in: 0...100))))
            }
        }
        return (card, settings)
    }

    private static func frontEndSettings(_ table: TOMLSection) throws(CubbyError) -> FrontEndSettings {
        var settings = FrontEndSettings()
        settings.echoCancellation = try table.boolean("echo_cancellation", default: settings.echoCancellation)
        settings.echoTailMilliseconds = try table.integer("echo_tail_ms", default: settings.echoTailMilliseconds, in: 20...1_000)
        let suppression = try table.integer("noise_suppression_db", default: settings.noiseSuppressionDB ?? 0, in: -60...0)
        settings.noiseSuppressionDB = suppression == 0 ? nil : suppression
        settings.automaticGain = try table.boolean("automatic_gain", default: settings.automaticGain)
        settings.maximumGainDB = try table.integer("max_gain_db", default: settings.maximumGainDB, in: 0...40)
        return settings
    }

    private static func endpoint(_ table: TOMLSection, folder: String, direction: ALSAPCM.Direction) throws(CubbyError) -> AudioEndpointSpec {
        let kind = try table.choice("kind", of: direction == .capture ? ["wav", "alsa", "silence"] : ["wav", "alsa"], default: "alsa")
        switch kind {
        case "silence":
            return .silence
        case "wav":
            return .wav(path: ConfigPath.resolve(try table.requiredString("path"), against: folder))
        default:
            let spec = ALSADeviceSpec(
                name: try table.string("device", default: "default"),
                configFile: try table.string("alsa_config").map { ConfigPath.resolve($0, against: folder) },
                periodMilliseconds: try table.integer("period_ms", default: 20, in: 5...100),
                bufferMilliseconds: try table.integer("buffer_ms", default: direction == .capture ? 200 : 120, in: 20...2000))
            return .alsa(spec,
                         sampleRate: try table.integer("sample_rate", default: 16_000, in: 8_000...192_000),
                         channels: try table.integer("channels", default: 1, in: 1...8))
        }
    }
}
