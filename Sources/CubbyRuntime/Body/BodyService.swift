import CubbyBody
import CubbyCore
import CubbyHardware
import CubbyMemory
import Foundation
import Logging
import ServiceLifecycle

/// The toy's body: reads its sensors (on the simulated board, a scripted trace), recognises what the child
/// does — a pat, a hug, a shake, a pick-up, a fall — and answers with the persona's reaction for it: a
/// motion (within the board's limits, through the motion guard), a light pattern, a sound. A fall stops
/// every motor at once; a low battery halves the motions and is noted for the parents. The listening light
/// is never touched here: only the audio gate drives it.
final class BodyService: Service, Sendable {
    /// Where the readings come from: a scripted trace (the simulated board) or the board's own sensors.
    enum Source: Sendable {
        case trace([SensorEvent])
        case sensors(accelerometer: IIOAccelerometer?, battery: PowerSupplyBattery?, touch: EvdevTouchReader?, hz: Int)
    }

    let body: BodyDefinition
    let source: Source
    let live: LiveSettings
    let events: BoardEventLog?
    let motion: BodyMotion
    let audit: AuditLog
    /// Raises the parents' alert (stored, and the alert command run) for a low battery.
    let alert: @Sendable (AlertRecord) -> Void
    /// Plays a sound of the persona's pack (a purr), unless the toy is talking.
    let playSound: @Sendable (String) -> Void
    let clock: any CubbyClock
    let logger: Logger

    init(body: BodyDefinition, source: Source, live: LiveSettings, events: BoardEventLog?, motion: BodyMotion, audit: AuditLog,
         alert: @escaping @Sendable (AlertRecord) -> Void = { _ in }, playSound: @escaping @Sendable (String) -> Void = { _ in },
         clock: any CubbyClock, logger: Logger) {
        self.alert = alert
        self.playSound = playSound
        self.body = body
        self.source = source
        self.live = live
        self.events = events
        self.audit = audit
        self.clock = clock
        self.logger = logger
        self.motion = motion
    }

    func run() async throws {
        events?.record("sensors", "started")
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.read() }
                group.addTask { await self.watchStalls() }
            }
        }
        motion.stopAll()
        // A trace ends; the daemon does not: the body waits to be stopped with everything else.
        try? await gracefulShutdown()
    }

    /// Each reading at its moment, through the recognizer, until the trace ends or the daemon stops.
    private func read() async {
        var state = ReadingState()
        let start = clock.now
        switch source {
        case .trace(let trace):
            for event in trace {
                do { try await clock.sleep(until: start + .milliseconds(event.milliseconds)) } catch { return }
                handle(event, &state)
            }
        case .sensors(let accelerometer, let battery, let touch, let hz):
            // Every reading goes through one stream, in the order it came: the touch pad's thread and the
            // poller both feed it, and this task alone feeds the recognizer.
            // nil is a tick: time passing with no reading (a touch held long enough is a hug).
            let (readings, feed) = AsyncStream<SensorEvent.Reading?>.makeStream(bufferingPolicy: .bufferingNewest(256))
            touch?.start { on in feed.yield(.touch(on)) }
            let clock = clock
            let logger = logger
            let poller = Task {
                let period = Duration.milliseconds(1_000 / hz)
                var tick = 0
                var failing = (accelerometer: false, battery: false)
                while !Task.isCancelled {
                    if let accelerometer {
                        do {
                            let (x, y, z) = try accelerometer.read()
                            feed.yield(.acceleration(x: x, y: y, z: z))
                            failing.accelerometer = false
                        } catch {
                            if !failing.accelerometer { logger.error("the accelerometer cannot be read; trying on", metadata: ["error": "\(error)"]) }
                            failing.accelerometer = true
                        }
                    } else {
                        feed.yield(nil)
                    }
                    // The battery changes slowly: every ten seconds, read on its own so a dead accelerometer never hides it.
                    if let battery, tick % (hz * 10) == 0 {
                        do {
                            feed.yield(.battery(percent: try battery.percent()))
                            failing.battery = false
                        } catch {
                            if !failing.battery { logger.error("the battery cannot be read; trying on", metadata: ["error": "\(error)"]) }
                            failing.battery = true
                        }
                    }
                    tick += 1
                    do { try await clock.sleep(until: start + period * tick) } catch { return }
                }
            }
            defer { poller.cancel() }
            for await reading in readings {
                let milliseconds = (clock.now - start).milliseconds
                guard let reading else {
                    for gesture in state.recognizer.tick(at: milliseconds) { react(to: gesture) }
                    continue
                }
                handle(SensorEvent(milliseconds: milliseconds, reading: reading), &state)
            }
        }
    }

    /// Reads each motor's current (those the board measures) 50 times a second, and stops the motors when
    /// one stalls. Runs whatever the sensors' source, until the daemon stops.
    private func watchStalls() async {
        var detector = StallDetector(motors: body.motors, restMilliseconds: Int(BodyMotion.stallRest.components.seconds * 1_000))
        let sensing = detector.sensing.sorted { $0.key < $1.key }
        guard !sensing.isEmpty else { return }
        let start = clock.now
        var failing: Set<String> = []
        var tick = 0
        while !Task.isCancelled {
            let milliseconds = (clock.now - start).milliseconds
            for (motor, stall) in sensing {
                do {
                    let milliamps = try stall.read()
                    failing.remove(motor)
                    guard detector.feed(motor, milliamps: milliamps, at: milliseconds) else { continue }
                    motion.stalled(motor)
                    events?.record("motor.\(motor)", "stall")
                    logger.warning("a motor stalled; every motor stopped", metadata: ["motor": "\(motor)", "milliamps": "\(milliamps)"])
                    try? audit.record("motor.stall", "\(motor) drew \(milliamps) mA for \(stall.milliseconds) ms: every motor stopped", at: clock.date)
                } catch {
                    if failing.insert(motor).inserted { logger.error("a motor's current cannot be read; trying on", metadata: ["motor": "\(motor)", "error": "\(error)"]) }
                }
            }
            tick += 1
            do { try await clock.sleep(until: start + Self.stallPeriod * tick) } catch { return }
        }
    }

    static let stallPeriod: Duration = .milliseconds(20)

    /// The charge at which a low battery counts as charged again.
    static let batteryRecovered = 25

    struct ReadingState {
        var recognizer = GestureRecognizer()
        var warnedLowBattery = false
    }

    private func handle(_ event: SensorEvent, _ state: inout ReadingState) {
        if case .battery(let percent) = event.reading {
            let low = motion.battery(percent)
            if low, !state.warnedLowBattery {
                state.warnedLowBattery = true
                logger.warning("the battery is low; the toy moves less", metadata: ["percent": "\(percent)"])
                try? audit.record("battery.low", "\(percent) %: the toy moves less until it is charged", at: clock.date)
                alert(AlertRecord(conversationID: nil, raisedAt: clock.date, category: "battery_low",
                                  excerpt: "The toy's battery is at \(percent) %: please charge it. It moves less until then.", rules: []))
            } else if percent >= BodyService.batteryRecovered {
                // Warned again only after a real charge: a gauge wavering around the mark alerts once.
                state.warnedLowBattery = false
            }
        }
        for gesture in state.recognizer.feed(event) { react(to: gesture) }
    }

    /// The persona's reaction to a gesture, within the board's limits.
    func react(to gesture: Gesture) {
        if gesture == .fall {
            // Stop first, then say what happened.
            motion.fell()
        } else if gesture == .pickUp || gesture == .putDown {
            motion.rested()
        }
        events?.record("gesture", gesture.rawValue)
        logger.info("gesture", metadata: ["gesture": "\(gesture.rawValue)"])
        guard gesture != .fall, let reaction = live.current.persona.expressions.gestures[gesture.rawValue] else { return }
        if let light = reaction.light {
            events?.record("light_pattern", light)
            motion.show(light)
        }
        if let name = reaction.motion {
            events?.record("motion", name)
            motion.perform(name)
        }
        if let sound = reaction.sound {
            events?.record("sound", sound)
            playSound(sound)
        }
    }
}
