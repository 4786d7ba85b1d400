import CubbyCloud
import CubbyCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// What the fake xiaozhi server does in a session, and how it misbehaves.
public struct FakeXiaozhiScript: Sendable {
    /// Answer the device's hello (false: the server that never does).
    public var answersHello = true
    /// The rate announced in the server's hello.
    public var helloSampleRate = 24_000
    /// What the server "heard" once the device stops listening.
    public var heard = ""
    public var emotion: String? = "happy"
    /// The reply, sentence by sentence; each is announced with `sentence_start` before its audio.
    public var sentences: [String] = []
    /// The Opus packets of one sentence's audio.
    public var packets: @Sendable (_ sentence: String) -> [[UInt8]] = { _ in [] }
    /// Waited before each frame of the reply.
    public var frameDelay: Duration = .milliseconds(2)
    /// JSON-RPC requests sent to the device right after hello (e.g. MCP initialize, tools/list).
    public var mcpRequests: [String] = []
    /// Close the connection after this many reply sentences.
    public var dropAfterSentences: Int?
    /// Answer `listen stop` at all (false: a server that goes quiet mid-turn).
    public var answersListen = true
    /// Close the session after each complete reply, as a server with a short idle timeout does between turns.
    public var closesAfterReply = false

    public init() {}
}

/// A local server that speaks the xiaozhi WebSocket protocol as xiaozhi-esp32-server does: the hello
/// exchange, listen start/stop, stt, llm emotion, tts start / sentence_start / stop with Opus frames in
/// the version the device asked for, MCP requests, abort; and faults.
public final class FakeXiaozhiServer: Sendable {
    public struct Record: Sendable {
        public var headers: [(String, String)] = []
        public var texts: [String] = []
        /// Upstream Opus packets received (unframed).
        public var audioPackets = 0
        public var aborted = false
        /// WebSocket sessions opened.
        public var connections = 0
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public let port: Int
    public var url: String { "ws://127.0.0.1:\(port)/xiaozhi/v1/" }
    private let channel: any Channel
    private let state = NIOLockedValueBox(Record())
    let script: FakeXiaozhiScript

    public var record: Record { state.withLockedValue { $0 } }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, [(String, String)])
        case refused
    }

    public init(script: FakeXiaozhiScript) async throws {
        self.script = script
        let state = self.state
        let server: NIOAsyncChannel<EventLoopFuture<Upgrade>, Never> = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel), head.headers.map { ($0.name, $0.value) })
                            }
                        })
                    let configuration = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
                        upgraders: [upgrader], notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused } })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: .init(upgradeConfiguration: configuration))
                }
            }
        port = server.channel.localAddress?.port ?? 0
        channel = server.channel
        let script = self.script
        Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await upgrade in inbound {
                        group.addTask {
                            guard case .websocket(let socket, let headers)? = try? await upgrade.get() else { return }
                            state.withLockedValue {
                                $0.headers = headers
                                $0.connections += 1
                            }
                            try? await Self.serve(socket, script: script, state: state)
                        }
                    }
                }
            }
        }
    }

    public func stop() async throws {
        try await channel.close()
    }

    /// Writes frames to the device from any task.
    struct Sender: Sendable {
        let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

        func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) async throws {
            try await outbound.write(WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(bytes: bytes)))
        }

        func sendJSON(_ object: [String: any Sendable]) async throws {
            try await send(.text, Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
        }
    }

    private static func serve(_ socket: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, script: FakeXiaozhiScript,
                              state: NIOLockedValueBox<Record>) async throws {
        let version = XiaozhiAudioFrame.Version(rawValue: Int(state.withLockedValue { $0.header("Protocol-Version") } ?? "1") ?? 1) ?? .v1
        try await socket.executeThenClose { inbound, outbound in
            let sender = Sender(outbound: outbound)
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                for try await frame in inbound {
                    switch frame.opcode {
                    case .binary:
                        let decoded = try XiaozhiAudioFrame.decode(Array(buffer: frame.unmaskedData), version: version)
                        if decoded.type == .opus { state.withLockedValue { $0.audioPackets += 1 } }
                    case .text:
                        let text = String(buffer: frame.unmaskedData)
                        state.withLockedValue { $0.texts.append(text) }
                        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
                        switch (object["type"] as? String, object["state"] as? String) {
                        case ("hello", _):
                            guard script.answersHello else { continue }
                            try await sender.sendJSON(["type": "hello", "transport": "websocket", "session_id": "fake-session",
                                                       "audio_params": ["format": "opus", "sample_rate": script.helloSampleRate, "channels": 1,
                                                                        "frame_duration": 60] as [String: any Sendable]])
                            for request in script.mcpRequests {
                                try await sender.send(.text, Array(#"{"type":"mcp","session_id":"fake-session","payload":\#(request)}"#.utf8))
                            }
                        case ("listen", "start"):
                            state.withLockedValue { $0.aborted = false }
                        case ("listen", "stop") where script.answersListen:
                            // The reply streams while this loop keeps reading, so an abort can stop it.
                            group.addTask { try await reply(script: script, version: version, state: state, sender: sender) }
                        case ("abort", _):
                            state.withLockedValue { $0.aborted = true }
                        default:
                            continue
                        }
                    case .connectionClose:
                        try? await sender.send(.connectionClose, [0x03, 0xE8])
                        return
                    default:
                        continue
                    }
                }
            }
        }
    }

    private static func reply(script: FakeXiaozhiScript, version: XiaozhiAudioFrame.Version, state: NIOLockedValueBox<Record>,
                              sender: Sender) async throws {
        try await sender.sendJSON(["type": "stt", "text": script.heard, "session_id": "fake-session"])
        if let emotion = script.emotion { try await sender.sendJSON(["type": "llm", "text": "🙂", "emotion": emotion, "session_id": "fake-session"]) }
        try await sender.sendJSON(["type": "tts", "state": "start", "session_id": "fake-session"])
        for (index, sentence) in script.sentences.enumerated() {
            if let drop = script.dropAfterSentences, index >= drop {
                try await sender.outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [0x03, 0xF3])))
                return
            }
            // A real server keeps sending until the device's abort arrives; so does this one, checking between frames.
            if state.withLockedValue({ $0.aborted }) { return }
            try await sender.sendJSON(["type": "tts", "state": "sentence_start", "text": sentence, "session_id": "fake-session"])
            for packet in script.packets(sentence) {
                try await Task.sleep(for: script.frameDelay)
                if state.withLockedValue({ $0.aborted }) { return }
                try await sender.send(.binary, XiaozhiAudioFrame(payload: packet).encoded(version))
            }
        }
        try await sender.sendJSON(["type": "tts", "state": "stop", "session_id": "fake-session"])
        if script.closesAfterReply {
            try await sender.outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [0x03, 0xE8])))
        }
    }
}
