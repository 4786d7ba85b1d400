import CubbyCloud
import CubbyConfiguration
import CubbyCore
import Foundation
import Synchronization

/// One xiaozhi session for a whole conversation: opened at its first turn, kept between turns (the
/// connection, TLS and hello exchange cost every turn otherwise), closed with the conversation. A
/// session the server drops is opened again at the next turn.
///
/// The session lives in a host task that reads the server's events for as long as it is open and hands
/// them to the turn in progress; events between turns (the tail of an aborted reply, the server's MCP
/// requests after hello) wait, a bounded few, for the next turn.
final class XiaozhiLink: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    private struct Live {
        let id: UUID
        var session: XiaozhiSession?
        var host: Task<Void, Never>?
    }

    private let settings: XiaozhiSettings
    private let lock = NSLock()
    private var live: Live?
    private var current: AsyncThrowingStream<XiaozhiEvent, any Error>.Continuation?
    private var waiting: [XiaozhiEvent] = []
    /// Events kept between turns; older ones are dropped first.
    private let waitingLimit = 256

    init(settings: XiaozhiSettings) {
        self.settings = settings
    }

    /// The session for this turn, and the server's events from now until `endTurn()`.
    func beginTurn() async throws -> (XiaozhiSession, AsyncThrowingStream<XiaozhiEvent, any Error>) {
        let session = try await connectedSession()
        let (events, continuation) = AsyncThrowingStream<XiaozhiEvent, any Error>.makeStream(bufferingPolicy: .bufferingNewest(4_096))
        let early = lock.withLock {
            current?.finish()
            current = continuation
            defer { waiting = [] }
            return waiting
        }
        for event in early { continuation.yield(event) }
        return (session, events)
    }

    func endTurn() {
        lock.withLock {
            current?.finish()
            current = nil
        }
    }

    /// Closes the session (the conversation ended, or the session is no longer trusted).
    func close() async {
        let host = lock.withLock {
            defer { live = nil }
            return live?.host
        }
        host?.cancel()
        await host?.value
    }

    private func connectedSession() async throws -> XiaozhiSession {
        if let session = lock.withLock({ live?.session }) { return session }
        await close()
        let id = UUID()
        let settings = self.settings
        let hello = XiaozhiDeviceMessage.hello(sampleRate: 16_000, frameDurationMilliseconds: 60, echoCancelled: true)
        return try await withCheckedThrowingContinuation { (connected: CheckedContinuation<XiaozhiSession, any Error>) in
            let answered = AnsweredOnce()
            let host = Task { [self] in
                do {
                    try await XiaozhiSession.run(settings: settings, hello: hello) { session in
                        opened(session, id: id)
                        if answered.first() { connected.resume(returning: session) }
                        for try await event in session.events { deliver(event) }
                    }
                    ended(id, error: CubbyError(.cloud, "the server ended the session", context: settings.url))
                } catch {
                    if answered.first() {
                        connected.resume(throwing: error)
                    }
                    ended(id, error: error)
                }
            }
            lock.withLock {
                if live?.id == id { live?.host = host } else if live == nil { live = Live(id: id, session: nil, host: host) }
            }
        }
    }

    private func opened(_ session: XiaozhiSession, id: UUID) {
        lock.withLock {
            if live?.id == id {
                live?.session = session
            } else {
                live = Live(id: id, session: session, host: live?.host)
            }
        }
    }

    private func deliver(_ event: XiaozhiEvent) {
        lock.withLock {
            if let current {
                current.yield(event)
            } else {
                waiting.append(event)
                if waiting.count > waitingLimit { waiting.removeFirst(waiting.count - waitingLimit) }
            }
        }
    }

    private func ended(_ id: UUID, error: any Error) {
        lock.withLock {
            guard live?.id == id else { return }
            live = nil
            waiting = []
            current?.finish(throwing: error)
            current = nil
        }
    }
}

/// True for the first caller only.
private final class AnsweredOnce: Sendable {
    private let done = Mutex(false)
    func first() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
