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
    private var current: (turn: UUID, continuation: AsyncThrowingStream<XiaozhiEvent, any Error>.Continuation)?
    private var waiting: [XiaozhiEvent] = []
    /// Events kept between turns; older ones are dropped first.
    private let waitingLimit = 256

    init(settings: XiaozhiSettings) {
        self.settings = settings
    }

    /// The session for this turn, the server's events from now until `endTurn(turn)`, and the turn's token.
    func beginTurn() async throws -> (session: XiaozhiSession, events: AsyncThrowingStream<XiaozhiEvent, any Error>, turn: UUID) {
        let session = try await connectedSession()
        let (events, continuation) = AsyncThrowingStream<XiaozhiEvent, any Error>.makeStream(bufferingPolicy: .bufferingNewest(4_096))
        let turn = UUID()
        let early = lock.withLock {
            current?.continuation.finish()
            current = (turn, continuation)
            defer { waiting = [] }
            return waiting
        }
        // Of what came between turns only the server's tool requests are for this turn; the tail of an
        // earlier, interrupted reply is not.
        for event in early {
            if case .message(.mcp) = event { continuation.yield(event) }
        }
        return (session, events, turn)
    }

    /// Ends `turn`'s events; a turn that ended long ago (interrupted, then slow to let go) touches nothing.
    func endTurn(_ turn: UUID) {
        lock.withLock {
            guard current?.turn == turn else { return }
            current?.continuation.finish()
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
        let waiting = ConnectionWait()
        // A turn stopped while the session is still connecting stops waiting at once, and the connection
        // is dropped with it.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (connected: CheckedContinuation<XiaozhiSession, any Error>) in
                guard waiting.store(connected) else { return }
                let host = Task { [self] in
                    do {
                        try await XiaozhiSession.run(settings: settings, hello: hello) { session in
                            opened(session, id: id)
                            waiting.resume(with: .success(session))
                            for try await event in session.events { deliver(event) }
                        }
                        ended(id, error: CubbyError(.cloud, "the server ended the session", context: settings.url))
                    } catch {
                        waiting.resume(with: .failure(error))
                        ended(id, error: error)
                    }
                }
                lock.withLock {
                    if live?.id == id { live?.host = host } else if live == nil { live = Live(id: id, session: nil, host: host) }
                }
            }
        } onCancel: {
            waiting.cancel()
            let host = lock.withLock { live?.id == id && live?.session == nil ? live?.host : nil }
            host?.cancel()
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
                current.continuation.yield(event)
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
            current?.continuation.finish(throwing: error)
            current = nil
        }
    }
}

/// The wait for a connection, resumed exactly once: by the connection (its session or its error) or
/// by the waiting turn's cancellation, whichever comes first.
private final class ConnectionWait: Sendable {
    private struct State {
        var continuation: CheckedContinuation<XiaozhiSession, any Error>?
        var cancelled = false
        var done = false
    }

    private let state = Mutex(State())

    /// Keeps the continuation; false (and the continuation resumed) when the turn was already cancelled.
    func store(_ continuation: CheckedContinuation<XiaozhiSession, any Error>) -> Bool {
        let cancelled = state.withLock { state in
            if state.cancelled {
                state.done = true
                return true
            }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func resume(with result: Result<XiaozhiSession, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<XiaozhiSession, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            return state.continuation.take()
        }
        continuation?.resume(with: result)
    }

    func cancel() {
        let continuation = state.withLock { state -> CheckedContinuation<XiaozhiSession, any Error>? in
            state.cancelled = true
            guard !state.done, state.continuation != nil else { return nil }
            state.done = true
            return state.continuation.take()
        }
        continuation?.resume(throwing: CancellationError())
    }
}
