import CubbyAudio
import CubbyCloud
import CubbyCore
import CubbyMemory
import CubbySafety
import Foundation

/// A turn through an existing xiaozhi-esp32-server: the server recognises, thinks and speaks; the toy
/// streams the utterance up as Opus and checks every `sentence_start` text before the audio that
/// follows it is played. Audio not announced by an admitted sentence is never played; a blocked
/// sentence's audio is discarded, the rest of the reply aborted, and the persona's redirect spoken.
///
/// What the xiaozhi protocol cannot offer: the server hears the child before the toy sees the words,
/// so personal details cannot be redacted and a disclosure reaches the server; the toy still answers
/// those on the device (abort, redirect, parent alert) as soon as `stt` arrives.
extension TurnRunner {
    func answerViaXiaozhi(_ settings: XiaozhiSettings, utterance: [Int16], turnIndex: Int, conversationID: Int64?,
                          progress: TurnProgress) async {
        let context = SafetyAssembly.context(configuration)
        do {
            try await XiaozhiSession.run(settings: settings, hello: .hello(sampleRate: 16_000, frameDurationMilliseconds: 60, echoCancelled: true)) { session in
                try await stream(utterance, to: session, progress: progress)
                // A server that goes quiet ends the turn (offline line) instead of holding the toy.
                let idle = Duration.milliseconds(settings.idleTimeoutMilliseconds)
                let watchdog = StallWatchdog(first: idle, idle: idle, waitingFor: "the server's answer")
                try await watchdog.run(context: settings.url) {
                    try await play(session, context: context, conversationID: conversationID, progress: progress, watchdog: watchdog)
                }
            }
            if progress.outcome == .interrupted { progress.outcome = .answered }
        } catch {
            if Task.isCancelled { return }
            logger.warning("xiaozhi turn failed", metadata: ["error": "\(error)"])
            if progress.spokeAnything {
                progress.failure = "\(error)"
                if progress.outcome == .interrupted { progress.outcome = .answered }
            } else {
                await speakOffline(turnIndex: turnIndex, reason: "\(error)", progress: progress)
            }
        }
        try? await speaker.waitUntilIdle()
    }

    /// listen start, the utterance as 60 ms Opus packets at 16 kHz, listen stop.
    private func stream(_ utterance: [Int16], to session: XiaozhiSession, progress: TurnProgress) async throws {
        try await session.send(.listenStart(sessionID: session.sessionID, mode: .manual))
        let packetizer = try OpusPacketizer(settings: try OpusSettings(frameMilliseconds: 60))
        var packets = try packetizer.append(utterance)
        if let last = try packetizer.finish() { packets.append(last) }
        for (index, packet) in packets.enumerated() {
            try await session.sendAudio(packet, timestampMilliseconds: UInt32(index * 60))
        }
        progress.markRequestSent()
        try await session.send(.listenStop(sessionID: session.sessionID))
    }

    private func play(_ session: XiaozhiSession, context: SafetyContext, conversationID: Int64?, progress: TurnProgress,
                      watchdog: StallWatchdog) async throws {
        let decoder = try OpusDecoder(sampleRate: session.serverSampleRate)
        let resampler = session.serverSampleRate == speaker.format.sampleRate
            ? nil : try Resampler(from: session.serverSampleRate, to: speaker.format.sampleRate)
        let persona = self.persona
        let safety = self.safety
        var gate = SentenceGate(filter: filter, context: context, redirect: { persona.redirect(for: $0) },
                                review: { safety.review($0, direction: .outbound) })
        var playing = false
        let tools = DeviceTools.server(speaker: speaker, maxVolume: configuration.maxVolume, allowed: persona.allowedTools,
                                       memory: memoryForTools(context: context), express: expression,
                                       endConversation: { progress.endConversation = true })

        for try await event in session.events {
            watchdog.touch(nowWaitingFor: "the server's next message")
            switch event {
            case .message(.stt(let heard)):
                progress.heard = heard
                logger.info("child said", metadata: ["text": "\(heard)", "via": "xiaozhi"])
                let inbound = safety.review(filter.check(heard, direction: .inbound, context: context.reading(after: safety.lastToySentence)),
                                            direction: .inbound)
                progress.inbound = inbound
                if !inbound.action.passesOn {
                    try await session.send(.abort(sessionID: session.sessionID, reason: nil))
                    _ = await answeredOnDevice(inbound, heard: heard, conversationID: conversationID, progress: progress)
                    return
                }
                // The server already has the words; the toy's filter still guards what comes back.
                progress.sentText = heard
            case .message(.emotion(let name, _)):
                expression(name)
            case .message(.sentenceStart(let text)):
                progress.markFirstToken()
                switch gate.admit(text) {
                case .speak(let sentence):
                    safety.toySaid(sentence)
                    progress.sentences.append(SentenceRecord(text: sentence, spoken: true))
                    playing = true
                case .block(let sentence, let category, let redirect):
                    playing = false
                    logger.notice("blocked a sentence", metadata: ["category": "\(category.rawValue)", "via": "xiaozhi"])
                    try await session.send(.abort(sessionID: session.sessionID, reason: nil))
                    progress.sentences.append(SentenceRecord(text: sentence, spoken: false, blockedCategory: category.rawValue))
                    await speak(redirect, progress: progress)
                    progress.outcome = .answered
                    return
                case .drop(let sentence):
                    playing = false
                    progress.sentences.append(SentenceRecord(text: sentence, spoken: false))
                }
            case .audio(let packet):
                // Only audio announced by an admitted sentence reaches the speaker.
                guard playing else { continue }
                var samples = try decoder.decode(packet: packet)
                if let resampler { samples = resampler.process(samples) }
                progress.markFirstAudio()
                try speaker.enqueue(samples)
                progress.spokeAnything = true
            case .message(.ttsStop):
                progress.outcome = .answered
                return
            case .message(.mcp(let payload)):
                if let response = await tools.respond(to: payload) {
                    try await session.send(.mcp(sessionID: session.sessionID, payload: response))
                }
            case .message(.alert(_, let message)):
                logger.notice("xiaozhi server alert", metadata: ["message": "\(message ?? "")"])
            case .message(.system(let command)):
                // A server must not reboot the toy: settings and power belong to the parent.
                logger.notice("ignored a xiaozhi system command", metadata: ["command": "\(command)"])
            case .message(.hello), .message(.ttsStart), .message(.other):
                continue
            }
        }
    }
}
