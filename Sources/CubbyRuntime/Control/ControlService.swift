#if canImport(Glibc)
import Glibc
#endif
import CubbyControl
import CubbyCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Serves the control channel on a local Unix socket (mode 0660): one request per connection, answered
/// and closed (`docs/control-protocol.md`).
///
/// Hostile or broken clients cannot disturb the toy: requests are bounded in size, must arrive within
/// `ControlProtocol.requestTimeoutSeconds`, at most `maximumClients` are served at once, and the
/// conversation loop never waits on any of it.
struct ControlService: Service {
    static let maximumClients = 8
    let path: String
    let handler: ControlHandler
    let logger: Logger
    var requestTimeout: Duration = .seconds(ControlProtocol.requestTimeoutSeconds)

    func run() async throws {
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                // A client that closes its sending side after the request still gets its answer.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        } catch {
            // The toy keeps talking without its control channel; the parent sees why in the log.
            logger.error("cannot serve the control socket; persona changes need a restart once it is fixed",
                         metadata: ["socket": "\(path)", "error": "\(error)"])
            try? await gracefulShutdown()  // returning would end the whole group
            return
        }
        chmod(path, 0o660)
        logger.info("control channel listening", metadata: ["socket": "\(path)"])
        let active = ClientCount()
        // One pack in memory at a time: a second install is told to wait, not read alongside the first.
        let payloads = ClientCount()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let admitted = active.admit(limit: Self.maximumClients)
                        group.addTask {
                            defer { if admitted { active.leave() } }
                            await serve(connection, admitted: admitted, payloads: payloads)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        unlink(path)
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, admitted: Bool, payloads: ClientCount) async {
        try? await connection.executeThenClose { inbound, _ in
            var reply: ControlReply
            var out: [UInt8] = []
            if !admitted {
                reply = .failure("busy", "the toy is answering \(Self.maximumClients) other requests; try again in a moment")
            } else {
                let ticket = PayloadTicket(slots: payloads)
                defer { ticket.release() }
                switch await read(inbound, ticket: ticket) {
                case .failure(let refusal): reply = refusal
                case .success(let (request, payload)): (reply, out) = await handler.handle(request, payload: payload)
                }
            }
            // Written and flushed before the connection closes: closing drops bytes still queued, and an
            // export or a soul is larger than a socket's buffer.
            try await connection.channel.writeAndFlush(ByteBuffer(bytes: reply.encodedLine() + out)).get()
        }
    }

    /// Reads the request line and its payload, within the size limits and the time limit.
    private func read(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, ticket: PayloadTicket) async -> Result<(ControlRequest, [UInt8]), ControlReply> {
        let timeout = requestTimeout
        return await withTaskGroup(of: Result<(ControlRequest, [UInt8]), ControlReply>?.self) { group in
            group.addTask { await Self.readWhole(inbound, ticket: ticket) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failure(.failure("timeout", "the request did not arrive whole within \(timeout)"))
            }
            defer { group.cancelAll() }
            while let result = await group.next() {
                if let result { return result }
            }
            return .failure(.failure("malformed", "the request ended early"))
        }
    }

    private static func readWhole(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, ticket: PayloadTicket) async -> Result<(ControlRequest, [UInt8]), ControlReply> {
        var buffer: [UInt8] = []
        var request: ControlRequest?
        var payloadStart = 0
        do {
            for try await chunk in inbound {
                buffer += chunk.readableBytesView
                if request == nil {
                    if let newline = buffer.firstIndex(of: 10) {
                        guard newline <= ControlProtocol.maximumHeaderBytes else { break }
                        switch ControlRequest.decode(line: Array(buffer[..<newline])) {
                        case .failure(let refusal): return .failure(refusal)
                        case .success(let decoded):
                            if decoded.payloadBytes > 0 && !ticket.take() {
                                return .failure(.failure("busy", "the toy is already receiving a persona pack; send this one when that is done"))
                            }
                            request = decoded
                        }
                        payloadStart = newline + 1
                        buffer.reserveCapacity(payloadStart + (request?.payloadBytes ?? 0))
                    } else if buffer.count > ControlProtocol.maximumHeaderBytes {
                        break
                    }
                }
                if let request {
                    let have = buffer.count - payloadStart
                    if have > request.payloadBytes { return .failure(.failure("malformed", "more bytes arrived than payload_bytes said (\(request.payloadBytes))")) }
                    if have == request.payloadBytes {
                        buffer.removeFirst(payloadStart)  // in place: a 32 MiB pack is not copied again
                        return .success((request, buffer))
                    }
                }
                if Task.isCancelled { return .failure(.failure("timeout", "the request did not arrive in time")) }
            }
        } catch {
            return .failure(.failure("malformed", "the connection failed while the request was read"))
        }
        if request == nil && buffer.count > ControlProtocol.maximumHeaderBytes {
            return .failure(.failure("too_large", "the request line is over \(ControlProtocol.maximumHeaderBytes) bytes"))
        }
        if let request { return .failure(.failure("malformed", "the payload ended after \(buffer.count - payloadStart) of \(request.payloadBytes) bytes")) }
        return .failure(.failure("malformed", buffer.isEmpty ? "the request was empty" : "the request line has no end (a newline)"))
    }
}

/// One connection's claim on the single payload slot, given back however the request ends.
private final class PayloadTicket: Sendable {
    private let slots: ClientCount
    private let held = Mutex(false)

    init(slots: ClientCount) { self.slots = slots }

    func take() -> Bool {
        guard slots.admit(limit: 1) else { return false }
        held.withLock { $0 = true }
        return true
    }

    func release() {
        if held.withLock({ held in defer { held = false }; return held }) { slots.leave() }
    }
}

/// How many clients are being served, shared by the accepting loop and the connections' tasks.
private final class ClientCount: Sendable {
    private let count = Mutex(0)

    func admit(limit: Int) -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
