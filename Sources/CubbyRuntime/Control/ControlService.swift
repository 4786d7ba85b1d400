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
            throw CubbyError(.io, "cannot serve the control socket", context: path, underlying: error)
        }
        chmod(path, 0o660)
        logger.info("control channel listening", metadata: ["socket": "\(path)"])
        let active = ClientCount()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let admitted = active.admit(limit: Self.maximumClients)
                        group.addTask {
                            defer { if admitted { active.leave() } }
                            await serve(connection, admitted: admitted)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        unlink(path)
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, admitted: Bool) async {
        try? await connection.executeThenClose { inbound, outbound in
            let reply: ControlReply
            if !admitted {
                reply = .failure("busy", "the toy is answering \(Self.maximumClients) other requests; try again in a moment")
            } else {
                switch await read(inbound) {
                case .failure(let refusal): reply = refusal
                case .success(let (request, payload)): reply = await handler.handle(request, payload: payload)
                }
            }
            try await outbound.write(ByteBuffer(bytes: reply.encodedLine()))
        }
    }

    /// Reads the request line and its payload, within the size limits and the time limit.
    private func read(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async -> Result<(ControlRequest, [UInt8]), ControlReply> {
        let timeout = requestTimeout
        return await withTaskGroup(of: Result<(ControlRequest, [UInt8]), ControlReply>?.self) { group in
            group.addTask { await Self.readWhole(inbound) }
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

    private static func readWhole(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async -> Result<(ControlRequest, [UInt8]), ControlReply> {
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
                        case .success(let decoded): request = decoded
                        }
                        payloadStart = newline + 1
                    } else if buffer.count > ControlProtocol.maximumHeaderBytes {
                        break
                    }
                }
                if let request {
                    let have = buffer.count - payloadStart
                    if have > request.payloadBytes { return .failure(.failure("malformed", "more bytes arrived than payload_bytes said (\(request.payloadBytes))")) }
                    if have == request.payloadBytes { return .success((request, Array(buffer[payloadStart...]))) }
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
