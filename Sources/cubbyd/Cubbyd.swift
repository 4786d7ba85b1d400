import ArgumentParser
import CubbyConfiguration
import CubbyCore
import CubbyHardware
import CubbyPersona
import CubbyRuntime
import Foundation
import Logging

@main
struct Cubbyd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cubbyd",
        abstract: "The Cubby daemon: listens for the wake phrase, talks with the child, filters both directions.",
        discussion: """
            Without options it runs until SIGTERM/SIGINT, reading \(DaemonConfiguration.defaultPath). SIGHUP reloads the \
            configuration and persona. With --once it answers one conversation from a WAV file and prints what happened \
            as one JSON object on stdout.

            Exit codes: 0 success; 66 the --input file cannot be read; 78 the configuration, persona or board file is \
            invalid, or its wake phrase cannot be built (the message names the file, the key and the problem); 1 anything else.
            """,
        version: "cubbyd \(CubbyVersion.string)")

    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String = DaemonConfiguration.defaultPath

    @Flag(name: .long, help: "Answer one conversation from --input, print it as JSON, and exit.")
    var once = false

    @Option(name: .long, help: ArgumentHelp("A WAV file to use as the microphone (any rate, mono or stereo, 16-bit).", valueName: "wav"))
    var input: String?

    @Option(name: .long, help: ArgumentHelp("A WAV file to write the toy's voice to.", valueName: "wav"))
    var output: String?

    @Flag(name: .long, help: "With --once: wait for the wake phrase instead of opening the conversation with the talk button.")
    var wake = false

    @Flag(name: .long, help: "With --once: hear the input and speak at real-time speed, as on a board, so the toy can be interrupted.")
    var realtime = false

    @Flag(name: .customLong("check-config"), help: "Validate the configuration, persona and board files, then exit.")
    var checkConfig = false

    @Option(name: .customLong("clock-start"),
            help: ArgumentHelp("For demos and the simulated board: the toy's clock starts at this local time, e.g. 2026-12-07T19:14.", valueName: "time"))
    var clockStart: String?

    @Option(name: .customLong("clock-speed"), help: ArgumentHelp("With --clock-start: toy seconds per real second (routines an evening in a minute). Timeouts run faster too: for offline demos.", valueName: "n"))
    var clockSpeed = 1

    func validate() throws {
        if wake && !once { throw ValidationError("--wake only applies with --once") }
        if realtime && !once { throw ValidationError("--realtime only applies with --once (the daemon is always real-time)") }
        if once && input == nil { throw ValidationError("--once needs --input CHILD.wav") }
        if let clockStart, Self.localTime(clockStart) == nil { throw ValidationError("--clock-start \(clockStart): expected a local time like 2026-12-07T19:14") }
        if !(1...3600).contains(clockSpeed) { throw ValidationError("--clock-speed must be 1-3600") }
        if clockSpeed != 1 && clockStart == nil { throw ValidationError("--clock-speed needs --clock-start") }
    }

    func run() async throws {
        // A child process (the alert command) that exits without reading must not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "cubbyd")
        if checkConfig {
            try Self.exitOnSetupError { () throws(CubbyError) in try Self.check(config) }
            return
        }
        var options = DaemonOptions(configurationPath: config, inputWAV: input, outputWAV: output,
                                    mode: once ? .once(waitForWake: wake) : .daemon)
        options.realtime = realtime
        var shifted: ShiftedClock?
        if let start = clockStart.flatMap(Self.localTime) {
            shifted = ShiftedClock(startingAt: start, speed: clockSpeed)
            options.clock = shifted!
            logger.notice("the toy's clock is shifted", metadata: ["start": "\(clockStart ?? "")", "speed": "\(clockSpeed)"])
        }
        let daemon = try Self.exitOnSetupError { () throws(CubbyError) in try Daemon(options: options, logger: logger) }
        shifted?.begin()
        do {
            try await daemon.run()
        } catch {
            Self.fail("cubbyd: \(error)", code: 1)
        }
        if once {
            let summary = OnceSummary(journal: daemon.journal, output: daemon.outputDescription, persona: daemon.current.persona.id)
            print(summary.json())
        }
    }

    /// "2026-12-07T19:14" or "2026-12-07T19:14:30", in the machine's time zone.
    static func localTime(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// Builds everything that can fail at start, as the daemon would, without opening any device.
    static func check(_ path: String) throws(CubbyError) {
        print(try Daemon.check(configurationPath: path))
    }

    static func exitOnSetupError<T>(_ body: () throws(CubbyError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            switch error.code {
            // A wake phrase the engine cannot build is the persona's or the parent's setting: a configuration error.
            case .invalidConfiguration, .persona, .wake: fail("cubbyd: \(error)", code: 78)
            case .io, .unsupportedAudio: fail("cubbyd: \(error)", code: 66)
            default: fail("cubbyd: \(error)", code: 1)
            }
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(code)
    }
}
