import CubbyConfiguration
import CubbyCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// What arrives from a xiaozhi server during a session.
public enum XiaozhiEvent: Sendable, Equatable {
    case message(XiaozhiServerMessage)
    /// One downstream Opus packet (already unframed).
    case audio([UInt8])
}

/// One WebSocket session with a xiaozhi server: handshake with the device's headers, the hello
/// exchange within the server's time, then text and audio both ways until the body returns.
///
/// Scoped (`XiaozhiSession.run`): the connection is closed when the body returns or throws, so a
/// cancelled turn (barge-in, shutdown) never leaves a socket open.
public struct XiaozhiSession: Sendable {
    public let sessionID: String
    /// The rate the server encodes its speech at (decode at this rate).
    public let serverSampleRate: Int
    public let settings: XiaozhiSettings
    private let writer: FrameWriter
    private let incoming: AsyncThrowingStream<XiaozhiEvent, any Error>

    /// Outbound frames, from any task (client frames are masked, as RFC 6455 requires).
    final class FrameWriter: Sendable {
        let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
        init(_ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) { self.outbound = outbound }

        func write(_ opcode: WebSocketOpcode, _ bytes: some Collection<UInt8>) async throws {
            try await outbound.write(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes)))
        }
    }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// Connects, sends `hello`, waits for the server's hello, and runs `body` with the session.
    public static func run<T: Sendable>(settings: XiaozhiSettings, hello: XiaozhiDeviceMessage,
                                        _ body: @Sendable (XiaozhiSession) async throws -> T) async throws -> T {
        let context = settings.url
        guard let url = URL(string: settings.url), let host = url.host, let scheme = url.scheme?.lowercased() else {
            throw CubbyError(.cloud, "not a WebSocket URL", context: context)
        }
        if let problem = XiaozhiSettings.problem(withURL: settings.url, allowInsecure: settings.allowInsecure) {
            throw CubbyError(.cloud, problem, context: context)
        }
        let secure = scheme == "wss"
        let port = url.port ?? (secure ? 443 : 80)
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        if let authorization = settings.authorization { headers.add(name: "Authorization", value: authorization) }
        headers.add(name: "Protocol-Version", value: "\(settings.protocolVersion.rawValue)")
        headers.add(name: "Device-Id", value: settings.deviceID)
        headers.add(name: "Client-Id", value: settings.clientID)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)

        let upgrade: EventLoopFuture<Upgrade>
        do {
            upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(min(settings.helloTimeoutMilliseconds, 5_000))))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if secure {
                            let tls = try NIOSSLContext(configuration: .makeClientConfiguration())
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: host))
                        }
                        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 20) { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                            }
                        }
                        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                            upgradeRequestHead: head, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused } })
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                            configuration: .init(upgradeConfiguration: configuration))
                    }
                }
        } catch {
            throw CubbyError(.cloud, "cannot connect", context: context, underlying: error)
        }
        let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
        do {
            switch try await upgrade.get() {
            case .websocket(let upgraded): channel = upgraded
            case .refused: throw CubbyError(.cloud, "the server refused the WebSocket upgrade (check the URL and token)", context: context)
            }
        } catch let error as CubbyError {
            throw error
        } catch {
            throw CubbyError(.cloud, "WebSocket handshake failed", context: context, underlying: error)
        }

        return try await channel.executeThenClose { inbound, outbound in
            let writer = FrameWriter(outbound)
            // Bounded: a reader that stalls loses the oldest events rather than the board its memory (a
            // minute of 60 ms Opus frames is 1,000 events; the toy reads them as they come).
            let (events, continuation) = AsyncThrowingStream<XiaozhiEvent, any Error>.makeStream(bufferingPolicy: .bufferingNewest(4_096))
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    do {
                        for try await frame in inbound {
                            switch frame.opcode {
                            case .text:
                                continuation.yield(.message(try XiaozhiServerMessage.parse(String(buffer: frame.unmaskedData))))
                            case .binary:
                                let decoded = try XiaozhiAudioFrame.decode(Array(buffer: frame.unmaskedData), version: settings.protocolVersion)
                                if decoded.type == .opus { continuation.yield(.audio(decoded.payload)) }
                            case .ping:
                                try await writer.write(.pong, Array(buffer: frame.unmaskedData))
                            case .connectionClose:
                                continuation.finish(throwing: CubbyError(.cloud, "the server closed the session", context: context))
                                return nil
                            default:
                                break
                            }
                        }
                        continuation.finish(throwing: CubbyError(.cloud, "the connection ended", context: context))
                    } catch {
                        continuation.finish(throwing: error is CubbyError ? error : CubbyError(.cloud, "\(error)", context: context))
                    }
                    return nil
                }
                try await writer.write(.text, Array(hello.json().utf8))
                var iterator = events.makeAsyncIterator()
                let deadline = ContinuousClock.now + .milliseconds(settings.helloTimeoutMilliseconds)
                let serverHello = try await Self.first(of: &iterator, before: deadline, context: context)
                guard case .message(.hello(let sessionID, let rate, _)) = serverHello else {
                    throw CubbyError(.cloud, "the server's first message was not hello", context: context)
                }
                let session = XiaozhiSession(sessionID: sessionID ?? "", serverSampleRate: rate ?? 24_000, settings: settings,
                                             writer: writer, incoming: Self.rest(of: iterator))
                let result = try await body(session)
                try? await writer.write(.connectionClose, [0x03, 0xE8])
                group.cancelAll()
                return result
            }
        }
    }

    /// The first event, or a timeout error once `deadline` passes (a server that never says hello).
    private static func first(of iterator: inout AsyncThrowingStream<XiaozhiEvent, any Error>.Iterator, before deadline: ContinuousClock.Instant,
                              context: String) async throws -> XiaozhiEvent {
        let box = IteratorBox(iterator)
        defer { iterator = box.iterator }
        return try await withThrowingTaskGroup(of: XiaozhiEvent?.self) { group in
            group.addTask { try await box.next() }
            group.addTask {
                try await Task.sleep(until: deadline)
                throw CubbyError(.cloud, "the server did not answer hello in time", context: context)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() ?? nil else {
                throw CubbyError(.cloud, "the connection ended before hello", context: context)
            }
            return first
        }
    }

    private static func rest(of iterator: AsyncThrowingStream<XiaozhiEvent, any Error>.Iterator) -> AsyncThrowingStream<XiaozhiEvent, any Error> {
        let box = IteratorBox(iterator)
        return AsyncThrowingStream { try await box.next() }
    }

    /// Moves a stream's iterator between tasks; only one task uses it at a time.
    final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncThrowingStream<XiaozhiEvent, any Error>.Iterator
        init(_ iterator: AsyncThrowingStream<XiaozhiEvent, any Error>.Iterator) { self.iterator = iterator }
        func next() async throws -> XiaozhiEvent? { try await iterator.next() }
    }

    /// Events after the hello, in order; ends with an error when the connection does.
    public var events: AsyncThrowingStream<XiaozhiEvent, any Error> { incoming }

    public func send(_ message: XiaozhiDeviceMessage) async throws(CubbyError) {
        do { try await writer.write(.text, Array(message.json().utf8)) } catch {
            throw CubbyError(.cloud, "sending \(message) failed", context: settings.url, underlying: error)
        }
    }

    /// One upstream Opus packet, framed for the agreed protocol version.
    public func sendAudio(_ packet: [UInt8], timestampMilliseconds: UInt32 = 0) async throws(CubbyError) {
        let frame = XiaozhiAudioFrame(payload: packet, timestampMilliseconds: timestampMilliseconds)
        do { try await writer.write(.binary, frame.encoded(settings.protocolVersion)) } catch {
            throw CubbyError(.cloud, "sending audio failed", context: settings.url, underlying: error)
        }
    }
}
