import CubbyAudio
import CubbyCloud
import CubbyConfiguration
import CubbyCore
import Foundation
import Logging

/// An existing xiaozhi-esp32-server: the server recognises, thinks and speaks. The utterance goes up as
/// 60 ms Opus packets; `stt` brings the words back; each `sentence_start` announces a sentence whose audio
/// follows. The pipeline admits or blocks each sentence before any of its audio is played.
///
/// What the protocol cannot offer: the server hears the child before the toy sees the words, so personal
/// details cannot be redacted and a disclosure reaches the server; the toy still answers those on the
/// device (abort, redirect, parent alert) as soon as `stt` arrives.
public final class XiaozhiReplyProvider: ReplyProvider {
    public let name = "xiaozhi"
    let settings: XiaozhiSettings
    /// The rate the toy's speaker plays at: the server's audio is resampled to it.
    let speakerRate: Int
    /// The stall timeout's time.
    let clock: any CubbyClock
    let logger: Logger
    /// The conversation's one session.
    let link: XiaozhiLink

    public init(settings: XiaozhiSettings, speakerRate: Int, clock: any CubbyClock = SystemClock(), logger: Logger) {
        self.settings = settings
        self.clock = clock
        self.speakerRate = speakerRate
        self.logger = logger
        link = XiaozhiLink(settings: settings)
    }

    public func close() async { await link.close() }

    public func exchange<T: Sendable>(_ utterance: [Int16], tools: DeviceToolServer,
                                      _ body: @escaping @Sendable (any ReplyExchange) async -> T) async throws -> T {
        let (session, turnEvents, turn) = try await beginTurn(sending: utterance)
        defer { link.endTurn(turn) }
        let sentAt = clock.now
        try await session.send(.listenStop(sessionID: session.sessionID))
        // Events are pumped through a watchdog: a server that goes quiet ends the turn (the offline line)
        // instead of holding the toy, and what was said before the silence is still recorded.
        let (events, continuation) = AsyncThrowingStream<XiaozhiEvent, any Error>.makeStream(bufferingPolicy: .bufferingNewest(4_096))
        let (settings, speakerRate, clock, logger) = (settings, speakerRate, clock, logger)
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let idle = Duration.milliseconds(settings.idleTimeoutMilliseconds)
                let watchdog = StallWatchdog(first: idle, idle: idle, waitingFor: "the server's answer", clock: clock)
                do {
                    try await watchdog.run(context: settings.url) {
                        for try await event in turnEvents {
                            watchdog.touch(nowWaitingFor: "the server's next message")
                            continuation.yield(event)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            defer { group.cancelAll() }
            return await body(Exchange(session: session, events: events, sentAt: sentAt, tools: tools, speakerRate: speakerRate, logger: logger))
        }
    }

    /// The conversation's session with this utterance sent up. A session the server closed while the
    /// child was thinking is noticed here and opened again, once, before the turn gives up.
    private func beginTurn(sending utterance: [Int16]) async throws
        -> (XiaozhiSession, AsyncThrowingStream<XiaozhiEvent, any Error>, UUID) {
        var attempt = 0
        while true {
            let (session, events, turn) = try await link.beginTurn()
            do {
                try await Self.send(utterance, to: session)
                return (session, events, turn)
            } catch {
                link.endTurn(turn)
                await link.close()
                attempt += 1
                if attempt > 1 || Task.isCancelled { throw error }
                logger.notice("the xiaozhi session had closed; opening a new one", metadata: ["error": "\(error)"])
            }
        }
    }

    /// listen start, then the utterance as 60 ms Opus packets at 16 kHz.
    private static func send(_ utterance: [Int16], to session: XiaozhiSession) async throws {
        try await session.send(.listenStart(sessionID: session.sessionID, mode: .manual))
        let packetizer = try OpusPacketizer(settings: try OpusSettings(frameMilliseconds: 60))
        var packets = try packetizer.append(utterance)
        if let last = try packetizer.finish() { packets.append(last) }
        for (index, packet) in packets.enumerated() {
            try await session.sendAudio(packet, timestampMilliseconds: UInt32(index * 60))
        }
    }

    struct Exchange: ReplyExchange {
        let session: XiaozhiSession
        let events: AsyncThrowingStream<XiaozhiEvent, any Error>
        let sentAt: ContinuousClock.Instant
        let tools: DeviceToolServer
        let speakerRate: Int
        let logger: Logger
        var bringsItsOwnVoice: Bool { true }
        var wantsPrompt: Bool { false }

        func heard() async throws -> HeardWords {
            for try await event in events {
                if case .message(.stt(let text)) = event {
                    return HeardWords(text: text, sentAt: sentAt, alreadyLeftTheDevice: true)
                }
                try await handleAside(event)
            }
            throw CubbyError(.cloud, "the server ended the session without saying what it heard", context: session.settings.url)
        }

        func reply(to request: ReplyRequest, _ each: (ReplyEvent) async -> ReplyControl) async throws {
            let decoder = try OpusDecoder(sampleRate: session.serverSampleRate)
            let rate = session.serverSampleRate
            let resampler = rate == speakerRate ? nil : try Resampler(from: rate, to: speakerRate)
            for try await event in events {
                let control: ReplyControl
                switch event {
                case .message(.sentenceStart(let text)):
                    _ = await each(.started)
                    control = await each(.sentence(text))
                case .audio(let packet):
                    var samples = try decoder.decode(packet: packet)
                    if let resampler { samples = resampler.process(samples) }
                    control = await each(.audio(samples))
                case .message(.emotion(let name, _)):
                    control = await each(.emotion(name))
                case .message(.ttsStop):
                    return
                default:
                    try await handleAside(event)
                    control = .more
                }
                if control == .stop {
                    await abort()
                    return
                }
            }
            if Task.isCancelled {
                // Interrupted: the server is told to stop, from a task of its own, since this one's writes
                // may be refused now that it is cancelled. The session lives on for the next turn.
                let exchange = self
                Task { await exchange.abort() }
            }
        }

        func abort() async {
            do { try await session.send(.abort(sessionID: session.sessionID, reason: nil)) } catch {
                logger.notice("could not tell the xiaozhi server to stop", metadata: ["error": "\(error)"])
            }
        }

        /// Messages that are not part of the reply: tool calls, server notices, commands the toy refuses.
        private func handleAside(_ event: XiaozhiEvent) async throws {
            switch event {
            case .message(.mcp(let payload)):
                if let response = await tools.respond(to: payload) {
                    try await session.send(.mcp(sessionID: session.sessionID, payload: response))
                }
            case .message(.alert(_, let message)):
                logger.notice("xiaozhi server alert", metadata: ["message": "\(message ?? "")"])
            case .message(.system(let command)):
                // A server must not reboot the toy: settings and power belong to the parent.
                logger.notice("ignored a xiaozhi system command", metadata: ["command": "\(command)"])
            default:
                return
            }
        }
    }
}
