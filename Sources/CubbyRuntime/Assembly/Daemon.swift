import AsyncAlgorithms
import CubbyAudio
import CubbyBody
import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyHardware
import CubbyMemory
import CubbyPersona
import CubbyParents
import CubbyPersonaPack
import CubbySafety
import CubbyVoice
import CubbyWake
import Foundation
import Synchronization
import Logging
import ServiceLifecycle
import UnixSignals

/// Builds the daemon from its configuration and runs it as one `ServiceGroup`.
///
/// Everything that can fail on bad input (configuration, persona pack, board file, safety rules, the wake
/// engine, audio devices, the database) is opened in `init`, before any service starts: a broken setup
/// stops the daemon with a precise error, and systemd hears `READY=1` only once the conversation service
/// is listening.
public final class Daemon: Sendable {
    public let options: DaemonOptions
    /// The environment the configuration was read with (a parent's change is checked with it too).
    let environment: [String: String]
    public let board: BoardDefinition
    public let outputDescription: String
    public let journal = ConversationJournal()
    /// WAV output is written at espeak-ng's own rate, so the toy's voice is stored without resampling.
    static let speakerFileSampleRate = 22_050
    let live: LiveSettings
    let parts: ConversationService.Parts
    /// The built-in rules; each settings snapshot adds the persona's and the parent's to them.
    let baseFilter: OnDeviceFilter
    /// Builds a wake engine; nil when nothing listens for the wake phrase (`--once` without `--wake`).
    let makeWakeEngine: WakeAssembly.Make?
    let logger: Logger
    /// The board's button readers; kept so they live as long as the daemon.
    let inputReaders: [any BoardInputReader]
    /// The simulated board's scripted sensor readings (checked at start); nil when the board has none.
    let sensorTrace: [SensorEvent]?
    let reloads = SerialGate()

    public init(options: DaemonOptions, environment: [String: String] = ProcessInfo.processInfo.environment,
                logger baseLogger: Logger) throws(CubbyError) {
        self.options = options
        self.environment = environment
        let configuration = try ConfigurationLoader.load(path: options.configurationPath, environment: environment)
        var logger = baseLogger
        logger.logLevel = configuration.logLevel
        self.logger = logger
        // A new toy starts with no data folder: it is made here, owner-only, before anything is written to it.
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CubbyError(.io, "cannot create the data folder", context: configuration.dataDirectory, underlying: error)
        }
        let loaded = try ActivePersona.load(dataDirectory: configuration.dataDirectory, factoryFolder: configuration.personaFolder)
        for problem in loaded.problems { logger.error("an installed persona was skipped", metadata: ["error": "\(problem)"]) }
        let persona = loaded.persona
        let board = try BoardDefinition.load(folder: configuration.boardFolder)
        self.board = board
        let makeWakeEngine: WakeAssembly.Make? = options.mode == .once(waitForWake: false) ? nil : WakeAssembly.pocketSphinx
        self.makeWakeEngine = makeWakeEngine

        // The card's gains before its first sound, so that a codec's power-on defaults (muted, or at full
        // gain past the safe maximum) never decide how loud the toy is; a control that is not there stops
        // the start, naming what the card has. Not when both ends are files (tests, a replay).
        if let card = board.mixerCard, options.inputWAV == nil || options.outputWAV == nil {
            try ALSAMixer(card: card).apply(board.mixer)
            logger.info("mixer set", metadata: ["card": "\(card)", "controls": "\(board.mixer.count)"])
        }

        let reader: any AudioReader
        let paced = options.isRealtime
        if let input = options.inputWAV {
            reader = try WAVFileReader(path: input)
        } else {
            switch board.input {
            case .wav(let path): reader = try WAVFileReader(path: path)
            case .silence: reader = SilenceReader()
            case .alsa(let spec, let rate, let channels):
                let format = AudioFormat(sampleRate: rate, channels: channels)
                reader = ReopeningReader(name: spec.name, initial: try ALSACaptureReader(spec: spec, format: format), logger: logger) {
                    () throws(CubbyError) -> any AudioReader in try ALSACaptureReader(spec: spec, format: format)
                }
            }
        }

        let writer: any AudioWriter
        let defaultOutput = (configuration.dataDirectory as NSString).appendingPathComponent("speaker.wav")
        switch (options.outputWAV, board.output) {
        case (let path?, _), (nil, .wav(let path)?):
            writer = try WAVFileWriter(path: path, sampleRate: Self.speakerFileSampleRate)
        case (nil, .silence?):
            throw CubbyError(.invalidConfiguration, "a board's output cannot be silence", context: board.folder)
        case (nil, .alsa(let spec, let rate, _)?):
            writer = ReopeningWriter(initial: try ALSAPlaybackWriter(spec: spec, sampleRate: rate), logger: logger) {
                () throws(CubbyError) -> any AudioWriter in try ALSAPlaybackWriter(spec: spec, sampleRate: rate)
            }
        case (nil, nil):
            writer = try WAVFileWriter(path: defaultOutput, sampleRate: Self.speakerFileSampleRate)
        }
        outputDescription = writer.name

        let database = try CubbyDatabase(path: (configuration.dataDirectory as NSString).appendingPathComponent("cubby.sqlite"))
        // The child's profile follows what the parent set in the configuration (a soul may have brought likes).
        do {
            var profile = try database.child.profile() ?? ChildDataStore.Profile()
            (profile.name, profile.age, profile.language) = (configuration.childName, configuration.childAge, persona.language)
            if try database.child.profile() != profile { try database.child.setProfile(profile, at: options.clock.date) }
        } catch {
            logger.error("could not update the child's profile", metadata: ["error": "\(error)"])
        }
        let events = try BoardEventLog(path: board.eventLog ?? (configuration.dataDirectory as NSString).appendingPathComponent("board-events.jsonl"))
        let filter = try OnDeviceFilter.builtIn()
        baseFilter = filter
        let personaFilter = try SafetyAssembly.filter(base: filter, configuration: configuration, persona: persona)
        // The speaker's reference only makes sense when the speaker is heard by the microphone in real time.
        let echoReference = paced && board.frontEnd.echoCancellation ? EchoReference() : nil
        let frontEnd = board.frontEnd.isBypass ? nil : try VoiceFrontEnd(settings: board.frontEnd, reference: echoReference)
        let writerIsFile = writer is WAVFileWriter
        // One set of motors for touch reactions, the model's emotions and lip-sync, behind one motion guard.
        let (motors, lights) = (BoardMotors(body: board.body, log: events), BoardLights(body: board.body, log: events))
        let body = BodyMotion(body: board.body, driver: motors, lights: lights, clock: options.clock, logger: logger)
        var followers: [@Sendable ([Int16]?) -> Void] = []
        if let name = board.body.mouth, let mouth = board.body.motors.first(where: { $0.name == name }) {
            let follower = LipSync(mouth: mouth, openDegrees: board.body.mouthOpenDegrees, driver: motors,
                                   guarded: { limits, angle, move in body.whileUpright(limits, angle: angle, move) }, logger: logger)
            followers.append { follower.hear($0) }
        }
        if let name = board.body.mouthLight, let light = board.body.lights.first(where: { $0.name == name }) {
            let follower = LipSyncLight(light: light, driver: lights, logger: logger)
            followers.append { follower.hear($0) }
        }
        var onBlock: (@Sendable ([Int16]?) -> Void)?
        if !followers.isEmpty {
            let hearing = followers
            onBlock = { (block: [Int16]?) in
                for follower in hearing { follower(block) }
            }
        }
        // The listening light is on exactly while audio may leave the toy: a board whose listening LED cannot
        // be driven does not start, and one that fails later stops the toy listening (the microphone is
        // muted until the daemon restarts or a parent unmutes it) rather than send audio with the light dark.
        let indicatorLogger = logger
        let stopListening = CaptureHolder()
        let indicator = { (name: String, spec: LightSpec?, failClosed: Bool) throws(CubbyError) -> any Indicator in
            guard let spec else { return LoggedIndicator(name: name, log: events) }
            let light = LightIndicator(name: name, spec: spec, driver: lights, log: events) { error in
                indicatorLogger.critical("an indicator cannot be lit", metadata: ["light": "\(name)", "error": "\(error)"])
                if failClosed {
                    stopListening.mute()
                    indicatorLogger.critical("the toy stopped listening: audio never leaves it with the listening light dark")
                }
            }
            try light.check()
            return light
        }
        var parts = ConversationService.Parts(
            capture: CaptureThread(reader: reader, paced: paced, frontEnd: frontEnd),
            speaker: SpeakerQueue(writer: writer, paced: paced && writerIsFile, echoReference: echoReference, onBlock: onBlock),
            database: database,
            light: try indicator("listening_light", board.body.indicators["listening"], true),
            synthesizer: EspeakSynthesizer())
        parts.muteLight = try indicator("mute_light", board.body.indicators["mute"], false)
        stopListening.capture.withLock { $0 = parts.capture }
        parts.clock = options.clock
        parts.calendar = options.calendar
        // A toy the parent muted never hears anything, not even before the conversation loop starts.
        parts.capture.setMuted(configuration.muted)
        parts.events = events
        var readers: [any BoardInputReader] = []
        for (input, spec) in board.inputs.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            switch spec {
            case .fifo(let path):
                readers.append(try FIFOInputReader(input: input, path: path, inbox: parts.inputs, logger: logger))
            case .evdev(let device, let code, let debounce):
                readers.append(EvdevInputReader(input: input, path: device, code: code, debounceMilliseconds: debounce, inbox: parts.inputs, logger: logger))
            case .gpio(let chip, let line, let activeLow, let debounce):
                readers.append(GPIOInputReader(input: input, line: try LibGPIOLine(chip: chip, offset: line, direction: .input), activeLow: activeLow,
                                               debounceMilliseconds: debounce, inbox: parts.inputs))
            }
        }
        inputReaders = readers
        sensorTrace = try board.body.sensorTrace.map { path throws(CubbyError) in try SensorTrace.load(path: path) }
        parts.boardMaximumVolume = board.body.maximumVolume
        parts.body = body
        parts.sounds = PersonaSounds(speaker: parts.speaker, activity: parts.activity, clock: options.clock, logger: logger)
        // Last, as it is the slowest: a second or more on a small board.
        let wake = try makeWakeEngine.map { make throws(CubbyError) in try WakeAssembly.build(configuration: configuration, persona: persona, make: make, logger: logger) }
        let cloud = configuration.cloud.map { OpenAICompatibleClient(settings: $0, logger: logger) }
        live = LiveSettings(configuration: configuration, persona: persona, cloud: cloud, filter: personaFilter, wake: wake)
        parts.wake = wake.map { WakeSpotter(engine: $0) }
        self.parts = parts
        logger.info("cubbyd ready", metadata: [
            "config": "\(options.configurationPath)", "board": "\(board.name)", "persona": "\(persona.id)",
            "input": "\(reader.name)", "output": "\(writer.name)",
            "cloud": "\(configuration.cloudDescription ?? "none (offline lines only)")",
        ])
    }

    /// `--check-config`: builds everything that can fail at start from the configuration — persona, board,
    /// safety rules, the wake engine — as the daemon would, without opening any device or the database.
    /// Returns a one-line summary.
    public static func check(configurationPath path: String) throws(CubbyError) -> String {
        let configuration = try ConfigurationLoader.load(path: path)
        let loaded = try ActivePersona.load(dataDirectory: configuration.dataDirectory, factoryFolder: configuration.personaFolder)
        if let problem = loaded.problems.first { throw problem }
        let persona = loaded.persona
        let board = try BoardDefinition.load(folder: configuration.boardFolder)
        _ = try SafetyAssembly.filter(base: try OnDeviceFilter.builtIn(), configuration: configuration, persona: persona)
        _ = try WakeAssembly.build(configuration: configuration, persona: persona)
        _ = try TrustedKeys.load(from: configuration.personaPacks.trustedKeys)
        return "\(path): ok (board \(board.name), persona \(persona.id) \(persona.version) from the \(loaded.origin), cloud \(configuration.cloudDescription ?? "none"))"
    }

    /// The persona and configuration in force now.
    public var current: LiveSettings.Snapshot { live.current }

    /// Runs until SIGTERM/SIGINT (daemon) or the end of the conversation (`--once`), then closes audio and
    /// the database.
    public func run() async throws {
        let heartbeat = Heartbeat()
        let readiness = Latch()
        let inbox = AsyncChannel<ConversationEvent>()
        let routinesChanged = Doorbell()
        let conversation = ConversationService(parts: parts, live: live, mode: options.mode, realtime: options.isRealtime, heartbeat: heartbeat,
                                               readiness: readiness, inbox: inbox, routinesChanged: routinesChanged, journal: journal, logger: logger)
        // Shutdown runs in reverse: the conversation stops first, then capture, then the speaker plays out
        // what is queued and closes.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: SpeakerService(speaker: parts.speaker, logger: logger), serviceName: "speaker"),
        ]
        if let wake = parts.wake { services.append(.init(service: WakeService(spotter: wake), serviceName: "wake")) }
        services += [
            .init(service: CaptureService(capture: parts.capture, inbox: inbox, realtime: options.isRealtime), serviceName: "capture"),
            .init(service: BoardInputService(readers: inputReaders, inputs: parts.inputs, inbox: inbox), serviceName: "inputs"),
            .init(service: conversation, successTerminationBehavior: options.mode == .daemon ? .cancelGroup : .gracefullyShutdownGroup,
                  serviceName: "conversation"),
        ]
        let body = board.body
        let source: BodyService.Source? = sensorTrace.map { .trace($0) }
            ?? (body.accelerometer != nil || body.battery != nil || body.touch != nil
                ? .sensors(accelerometer: body.accelerometer.map(IIOAccelerometer.init), battery: body.battery.map(PowerSupplyBattery.init),
                           touch: body.touch.map { EvdevTouchReader(path: $0, code: body.touchCode, logger: logger) }, hz: body.sensorHz)
                : nil)
        if options.mode == .daemon, !body.motors.isEmpty || !body.lights.isEmpty, let motion = parts.body {
            services.append(.init(service: IdleLife(motion: motion, activity: parts.activity, live: live, events: parts.events, clock: parts.clock,
                                                    calendar: parts.calendar, stirMinutes: body.idleStirMinutes, logger: logger),
                                  serviceName: "idle"))
        }
        if options.mode == .daemon, let source, let motion = parts.body {
            let (database, clock, live, logger) = (parts.database, parts.clock, live, logger)
            let alert: @Sendable (AlertRecord) -> Void = { record in
                do { _ = try database.alerts.raise(record) } catch { logger.error("could not store the alert", metadata: ["error": "\(error)"]) }
                let settings = live.current.configuration.parents
                if let command = settings.alertCommand {
                    AlertHook(command: command, timeoutSeconds: settings.alertCommandTimeoutSeconds, logger: logger).run(for: record)
                }
            }
            let sounds = parts.sounds
            let playSound: @Sendable (String) -> Void = { file in sounds?.reaction(live.current.persona.sourcePath + "/" + file) }
            services.append(.init(service: BodyService(body: board.body, source: source, live: live, events: parts.events, motion: motion,
                                                       audit: parts.database.audit, alert: alert, playSound: playSound, clock: clock, logger: logger),
                                  serviceName: "body"))
        }
        if options.mode == .daemon {
            // Last, so they stop first: no persona change starts while the toy shuts down.
            let settings = live.current.configuration
            let personas = PersonaManager(live: live, baseFilter: baseFilter, logger: logger) { [self] () async throws(CubbyError) -> String in try await reload() }
            let family = FamilyData(database: parts.database, live: live, clock: parts.clock)
            services.append(.init(service: RetentionService(database: parts.database, live: live, clock: parts.clock, logger: logger), serviceName: "retention"))
            let pin = ParentPIN(database: parts.database)
            let configurationSettings = ConfigurationSettings(
                path: options.configurationPath, environment: environment, live: live, database: parts.database, clock: parts.clock,
                reload: { [self] () async throws(CubbyError) -> String in try await reload() })
            let parents = ParentsCommands(
                settings: configurationSettings,
                status: ToyStatus(live: live, database: parts.database, pin: pin, calendar: parts.calendar, clock: parts.clock),
                unlocks: ParentUnlocks(clock: parts.clock), database: parts.database, live: live, clock: parts.clock)
            let routines = RoutineCommands(database: parts.database, live: live, clock: parts.clock, calendar: parts.calendar, changed: routinesChanged,
                                           inbox: inbox)
            let handler = ControlHandler(personas: personas, family: family, pin: pin, parents: parents, routines: routines, clock: parts.clock)
            // Routines run on the toy's own clock, cloud or not.
            services.append(.init(service: RoutineScheduler(database: parts.database, clock: parts.clock, calendar: parts.calendar, inbox: inbox,
                                                            changed: routinesChanged, logger: logger),
                                  serviceName: "routines"))
            services.append(.init(service: ControlService(path: settings.controlSocket, handler: handler, logger: logger), serviceName: "control"))
            services.append(.init(service: InboxService(folder: settings.personaPacks.inbox, interval: .milliseconds(settings.personaPacks.inboxPollMilliseconds),
                                                        personas: personas, logger: logger),
                                  serviceName: "inbox"))
        }
        if options.mode == .daemon && options.trapSignals {
            services.append(.init(service: await ReloadService(logger: logger, reload: { [self] () async throws(CubbyError) -> String in try await reload() }),
                                  serviceName: "reload"))
            let notifier = SystemdNotifier()
            if notifier.isEnabled {
                services.append(.init(service: SystemdWatchdogService(notifier: notifier, interval: SystemdNotifier.watchdogInterval(),
                                                                      heartbeat: heartbeat, readiness: readiness, logger: logger),
                                      serviceName: "systemd"))
            }
        }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: options.trapSignals ? [.sigterm, .sigint] : [],
                                                      logger: logger)
        // Stop within about 1.5 s when the machine is well; a starved one gets until systemd's
        // TimeoutStopSec (5 s) to finish cancelling, so the turn is still recorded, rather than a crash.
        configuration.maximumGracefulShutdownDuration = .milliseconds(1_200)
        configuration.maximumCancellationDuration = .milliseconds(3_000)
        let group = ServiceGroup(configuration: configuration)
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await close()
        if let failure { throw failure }
    }

    /// Closes the speaker (after what is queued), the database and the cloud connections.
    private func close() async {
        parts.capture.stop()
        do { try parts.speaker.close() } catch { logger.error("closing the speaker failed", metadata: ["error": "\(error)"]) }
        do { try parts.database.close() } catch { logger.error("closing the database failed", metadata: ["error": "\(error)"]) }
        await live.shutdown()
        logger.info("cubbyd stopped")
    }

    /// SIGHUP (and a persona change): re-reads the configuration and persona, and builds a new wake engine
    /// when the wake settings changed (off the cooperative pool: it takes a second or more on a small
    /// board); on any error nothing changes. One reload at a time, so a slow one never overwrites a newer.
    func reload() async throws(CubbyError) -> String {
        try await reloads.run { () async throws(CubbyError) -> String in try await reloadNow() }
    }

    private func reloadNow() async throws(CubbyError) -> String {
        let configuration = try ConfigurationLoader.load(path: options.configurationPath, environment: environment)
        // Checking every installed file's digest reads the whole pack: off the cooperative pool.
        let (dataDirectory, factory) = (configuration.dataDirectory, configuration.personaFolder)
        let loaded: ActivePersona.Loaded
        do {
            loaded = try await OffPoolBuild.run("persona") { () throws(CubbyError) in try ActivePersona.load(dataDirectory: dataDirectory, factoryFolder: factory) }
        } catch let error as CubbyError { throw error } catch { throw CubbyError(.persona, "the persona was not loaded", underlying: error) }
        for problem in loaded.problems { logger.error("an installed persona was skipped", metadata: ["error": "\(problem)"]) }
        let persona = loaded.persona
        let filter = try SafetyAssembly.filter(base: baseFilter, configuration: configuration, persona: persona)
        var wake = live.current.wake
        if let make = makeWakeEngine, WakeAssembly.settings(configuration: configuration, persona: persona) != wake?.settings {
            do {
                wake = try await OffPoolBuild.run("wake") { () throws(CubbyError) in
                    try WakeAssembly.build(configuration: configuration, persona: persona, make: make)
                }
            } catch let error as CubbyError {
                throw error
            } catch {
                throw CubbyError(.wake, "the wake engine was not rebuilt", underlying: error)
            }
        }
        let old = live.current.configuration
        if configuration.boardFolder != old.boardFolder || configuration.dataDirectory != old.dataDirectory {
            logger.warning("[device] board and data_dir take effect at the next restart")
        }
        let logger = self.logger
        live.replace(configuration: configuration, persona: persona, filter: filter, wake: wake) { change in
            switch change {
            case .unchanged(let client): return client
            case .changed(let settings): return settings.map { OpenAICompatibleClient(settings: $0, logger: logger) }
            }
        }
        return "persona \(persona.id) \(persona.version), child age \(configuration.childAge), cloud \(configuration.cloudDescription ?? "none")"
    }
}

/// The capture thread, known once it is built, for an indicator that must stop the toy listening.
final class CaptureHolder: Sendable {
    let capture = Mutex<CaptureThread?>(nil)
    func mute() { capture.withLock { $0?.setMuted(true) } }
}
