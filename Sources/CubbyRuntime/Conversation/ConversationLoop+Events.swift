import CubbyConfiguration
import CubbyCore
import CubbyHardware
import Foundation

/// What the loop does with the listener's events, the board's buttons and finished turns. Each method
/// returns whether to keep listening (`--once` stops when its conversation closes).
extension ConversationLoop {
    func handle(_ events: [ListenerEvent]) async throws(CubbyError) -> Bool {
        for event in events {
            switch event {
            case .opened(let reason, let sample, let phrase):
                // A press while the child is already talking restarts the listening, not the conversation.
                if state.conversation == nil, await !openIfAllowed(reason, at: sample, phrase: phrase) { return false }
            case .bargeIn(let reason, let sample, let phrase):
                await interrupt(reason, at: sample, phrase: phrase)
                if state.conversation == nil, await !openIfAllowed(reason, at: sample, phrase: phrase) { return false }
            case .utterance(let samples, let start, let end):
                guard state.conversation != nil else { continue }
                if let refusal = await limitReachedBeforeAnswering() {
                    if try await !conversationEnded("limit: \(refusal.kind)") { return false }
                    continue
                }
                guard let conversation = state.conversation, let index = state.turnStarted() else { continue }
                logger.debug("utterance", metadata: ["from": "\(start)", "to": "\(end)"])
                let work = makeTurn(samples, conversationID: conversation.id, index: index)
                let heartbeat = service.heartbeat
                if service.realtime {
                    nextTurnID += 1
                    let handle = TurnHandle(id: nextTurnID, endSample: end)
                    running = handle
                    await supervisor.start(TurnJob(handle: handle, work: { await heartbeat.pulse(work) }))
                } else {
                    let report = await heartbeat.pulse(work)
                    if try await !turnFinished(report, resumeAt: end) { return false }
                }
            case .closed(_, let reason):
                if try await !conversationEnded(reason.rawValue) { return false }
            }
        }
        return true
    }

    /// A turn has ended (answered, or interrupted): count it, then listen for a follow-up or close.
    func turnFinished(_ report: TurnReport, resumeAt sample: Int64) async throws(CubbyError) -> Bool {
        guard state.conversation != nil else { return true }
        state.turnEnded()
        service.journal.answered(report)
        if Task.isCancelled { return false }
        if report.endConversation { return try await conversationEnded(report.outcome == .answered && report.sentText == nil ? "the child said goodbye" : "ended by the model") }
        if let refusal = await limitCuesAfterTurn(heard: report.heard) { return try await conversationEnded("limit: \(refusal.kind)") }
        if let ended = await sceneAfterTurn(report) { return try await conversationEnded(ended) }
        await remindersBetweenTurns()
        // A scene waits for the child's answer (a story's choice) even where follow-ups are off.
        if let closed = listener.answerFinished(atSample: sample, followUp: conversationSettings.configuration.followUp || activeScene != nil),
           case .closed(_, let reason) = closed {
            return try await conversationEnded(reason.rawValue)
        }
        return true
    }

    /// Silences the toy now and lets the stopped turn record itself; returns how long silencing took.
    func stopTurn() async -> Duration {
        guard let handle = running else { return parts.speaker.stop() }
        running = nil
        handle.stop.signal()
        _ = await handle.settled.wait()
        let stopTook = parts.speaker.stop()
        state.turnEnded()
        if let report = await handle.report(within: .seconds(1), clock: parts.clock) {
            service.journal.answered(report)
        } else {
            logger.error("the interrupted turn did not finish in time; not waiting for it")
        }
        return stopTook
    }

    /// The child interrupted (barge-in).
    func interrupt(_ reason: OpenReason, at sample: Int64, phrase: String?) async {
        let stopTook = await stopTurn()
        service.journal.bargedIn(BargeIn(by: reason, atSample: sample, stopMilliseconds: stopTook.milliseconds))
        logger.info("barge-in", metadata: ["by": "\(reason.rawValue)", "phrase": "\(phrase ?? "")", "stop_ms": "\(stopTook.milliseconds)"])
    }

    /// A control on the board was pressed.
    func handlePress(_ input: BoardInput, at sample: Int64) async throws(CubbyError) -> Bool {
        logger.info("button", metadata: ["input": "\(input.rawValue)"])
        switch input {
        case .muteButton:
            state.toggleMuteButton()
            return true
        case .talkButton, .touchPad:
            let reason: OpenReason = input == .talkButton ? .talkButton : .touchPad
            guard state.mayOpen(by: reason) else { return true }
            return try await handle([listener.open(by: reason, atSample: sample)])
        }
    }

    /// Follows the mute button and the parent's setting: the microphone, the mute light, and whatever
    /// conversation was open.
    func applyMute(at sample: Int64) async throws(CubbyError) -> Bool {
        state.settingsMuted = service.live.current.configuration.muted
        let muted = state.isMuted
        guard muted != mutedNow else { return true }
        mutedNow = muted
        parts.capture.setMuted(muted)
        parts.muteLight?.set(muted)
        logger.notice(muted ? "microphone muted" : "microphone unmuted")
        guard muted else { return true }
        if running != nil { _ = await stopTurn() }
        if let closed = listener.closeNow(atSample: sample), case .closed(_, let reason) = closed {
            return try await conversationEnded(reason.rawValue)
        }
        return true
    }

    func open(_ reason: OpenReason, at sample: Int64, phrase: String?) {
        let current = service.live.current
        state.opened(id: ledger.open(reason, persona: current.persona.id))
        parts.activity.set(true)
        playtime.opened()
        conversationSettings = current
        // One provider for the conversation: a xiaozhi session is kept from turn to turn.
        provider = current.provider(speakerRate: parts.speaker.format.sampleRate, clock: parts.clock, logger: logger)
        service.safety.conversationOpened(coolDown: .seconds(current.configuration.safety.coolDownMinutes * 60))
        logger.info("conversation opened", metadata: ["by": "\(reason.rawValue)", "phrase": "\(phrase ?? "")", "sample": "\(sample)"])
    }

    func close(_ reason: String) async {
        // Whatever closed it (the model, a limit, a goodbye), the listener waits for the wake phrase again.
        _ = listener.closeNow(atSample: position)
        guard let conversation = state.closed() else { return }
        parts.activity.set(false)
        leaveScene()
        playtime.closed()
        await provider?.close()
        provider = nil
        ledger.close(conversation.id, reason: reason)
        logger.info("conversation closed", metadata: ["reason": "\(reason)", "turns": "\(conversation.turns)"])
    }

    /// Closes the conversation, however it ended; `--once` then stops, the daemon picks up any reload.
    func conversationEnded(_ reason: String) async throws(CubbyError) -> Bool {
        await close(reason)
        if case .once = service.mode { return false }
        await refreshIfReloaded()
        return try await routinesAfterConversation()
    }

    /// Picks up a reload between conversations. The new wake engine was built (and checked) by the reload.
    func refreshIfReloaded() async {
        let current = service.live.current
        guard current.generation != applied.generation else { return }
        if current.wake !== applied.wake {
            await parts.wake?.replace(current.wake)
            logger.info("wake phrase updated", metadata: ["phrases": "\(current.wake?.settings.phrases ?? [])"])
        }
        applied = current
        listener.replaceSettings(current.configuration.endpointer)
        listener.bargeInEnabled = service.realtime && current.configuration.bargeIn
        state.reloaded(settingsMuted: current.configuration.muted)
        warmPhrases(current)
    }

    /// The turn for one utterance, with the open conversation's settings.
    func makeTurn(_ samples: [Int16], conversationID: Int64?, index: Int) -> @Sendable () async -> TurnReport {
        let snapshot = conversationSettings
        // The parent's cap, and never above what the board's speaker can safely play.
        var configuration = snapshot.configuration
        configuration.maxVolume = min(configuration.maxVolume, parts.boardMaximumVolume)
        var turnParts = TurnPipeline.Parts(
            persona: snapshot.persona, configuration: configuration,
            provider: provider,
            filter: snapshot.filter, synthesizer: parts.synthesizer, speaker: parts.speaker, database: parts.database)
        turnParts.safety = service.safety
        turnParts.guardModel = snapshot.guardModel
        turnParts.cloudVoice = snapshot.speech
        turnParts.breaker = service.breaker
        turnParts.phrases = parts.phrases
        turnParts.clock = parts.clock
        turnParts.calendar = parts.calendar
        turnParts.scene = activeScene
        let doorbell = service.routinesChanged
        turnParts.routinesChanged = { doorbell.ring() }
        if let command = snapshot.configuration.parents.alertCommand {
            let hook = AlertHook(command: command, timeoutSeconds: snapshot.configuration.parents.alertCommandTimeoutSeconds, logger: logger)
            turnParts.onAlert = { hook.run(for: $0) }
        }
        let (events, body, sounds) = (parts.events, parts.body, parts.sounds)
        // The persona's expression map says how this character shows the feeling (motion, light, sound);
        // the motion plays on the board's motors, within their limits, while the toy speaks, and the
        // sound between its sentences.
        let expressions = snapshot.persona.expressions.emotions
        let packFolder = snapshot.persona.sourcePath
        turnParts.expression = { emotion in
            events?.record("expression", emotion)
            guard let shown = expressions[emotion] else { return }
            if let motion = shown.motion {
                events?.record("motion", motion)
                body?.perform(motion)
            }
            if let light = shown.light {
                events?.record("light_pattern", light)
                body?.show(light)
            }
            if let sound = shown.sound, sounds?.expression(packFolder + "/" + sound) != nil { events?.record("sound", sound) }
        }
        let pipeline = TurnPipeline(turnParts, logger: logger)
        let input = TurnInput(utterance: samples, conversationID: conversationID, index: index, endOfSpeech: parts.clock.now,
                              startedAt: parts.clock.date)
        return { await pipeline.run(input) }
    }
}
