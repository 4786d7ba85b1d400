import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A local server that speaks OpenAI's HTTP API the way the real one does on the wire — a JSON
/// transcription, and a chat completion streamed as chunked server-sent events ending in `data: [DONE]` —
/// with scripted answers and faults. Responses are written as raw bytes (no response encoder), so a test
/// controls every byte, including broken ones.
///
/// Listens on 127.0.0.1 on a free port; `baseURL` is what to put in `[cloud] base_url`.
public final class FakeOpenAIServer: Sendable {
    private let channel: any Channel
    private let log: RequestLog

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public init(script: FakeOpenAIScript, port: Int = 0) async throws {
        let log = RequestLog()
        self.log = log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    log.connected()
                    try channel.pipeline.syncOperations.addHandler(ByteCounter(log: log))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(FakeOpenAIHandler(script: script, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        self.port = channel.localAddress?.port ?? 0
    }

    /// Requests received so far, in order.
    public var requests: [RecordedRequest] { log.requests }
    /// Every byte received on any connection so far.
    public var bytesReceived: Int { log.bytes }
    public var connectionsAccepted: Int { log.connections }

    public func stop() async throws {
        try await channel.close()
    }
}

/// Counts raw bytes before any decoding.
private final class ByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let log: RequestLog

    init(log: RequestLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        log.count(bytes: unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }
}

private final class FakeOpenAIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    let script: FakeOpenAIScript
    let log: RequestLog
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(script: FakeOpenAIScript, log: RequestLog) {
        self.script = script
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = RecordedRequest(method: head.method.rawValue, path: head.uri,
                                          headers: head.headers.map { ($0.name, $0.value) }, body: body)
            log.add(request)
            respond(to: request, context: context)
        }
    }

    private func respond(to request: RecordedRequest, context: ChannelHandlerContext) {
        switch (request.method, request.path) {
        case ("POST", "/v1/audio/transcriptions"):
            if let fault = script.transcriptionFault, log.takeFault("transcription", limit: script.faultCount) {
                applyNonStreamingFault(fault, context: context)
                return
            }
            guard let wav = MultipartReader.file(named: "file", in: request) else {
                sendJSON(status: 400, ["error": ["message": "missing file field", "type": "invalid_request_error"]], context: context)
                return
            }
            sendJSON(status: 200, ["text": script.transcribe(wav)], context: context)
        case ("POST", "/v1/chat/completions"):
            guard let json = request.json, let messages = json["messages"] as? [[String: Any]] else {
                sendJSON(status: 400, ["error": ["message": "body is not a chat request", "type": "invalid_request_error"]], context: context)
                return
            }
            guard json["stream"] as? Bool == true else {
                sendJSON(status: 400, ["error": ["message": "this fake only streams", "type": "invalid_request_error"]], context: context)
                return
            }
            let lastUser = messages.last { $0["role"] as? String == "user" }?["content"] as? String ?? ""
            let answeredTools = messages.contains { $0["role"] as? String == "tool" }
            if !script.toolCalls.isEmpty && !answeredTools {
                streamToolCalls(model: json["model"] as? String ?? "fake", context: context)
                return
            }
            streamChat(deltas: script.reply(lastUser), model: json["model"] as? String ?? "fake", context: context)
        case ("POST", "/v1/audio/speech"):
            if let fault = script.speechFault {
                applyNonStreamingFault(fault, context: context)
                return
            }
            guard let json = request.json, let input = json["input"] as? String, json["response_format"] as? String == "pcm" else {
                sendJSON(status: 400, ["error": ["message": "this fake speaks pcm only", "type": "invalid_request_error"]], context: context)
                return
            }
            let samples = script.speech(input)
            var body = context.channel.allocator.buffer(capacity: samples.count * 2)
            for sample in samples { body.writeInteger(sample, endianness: .little) }
            var head = context.channel.allocator.buffer(string: "HTTP/1.1 200 OK\r\nContent-Type: audio/pcm\r\nContent-Length: \(body.readableBytes)\r\nConnection: close\r\n\r\n")
            head.writeBuffer(&body)
            context.writeAndFlush(wrapOutboundOut(head)).whenComplete { _ in context.close(promise: nil) }
        case ("POST", "/v1/moderations"):
            if let fault = script.moderationFault {
                applyNonStreamingFault(fault, context: context)
                return
            }
            guard let json = request.json, let input = json["input"] as? String else {
                sendJSON(status: 400, ["error": ["message": "body is not a moderation request", "type": "invalid_request_error"]], context: context)
                return
            }
            let labels = script.moderate(input)
            var categories: [String: Bool] = [:]
            for label in labels ?? [] { categories[label] = true }
            let answer: [String: Any] = ["id": "modr-fake", "model": json["model"] as? String ?? "fake",
                                         "results": [["flagged": labels != nil, "categories": categories]]]
            let loop = context.eventLoop.assumeIsolated()
            loop.scheduleTask(in: TimeAmount(script.moderationDelay)) {
                guard context.channel.isActive else { return }
                self.sendJSON(status: 200, answer, context: context)
            }
        default:
            sendJSON(status: 404, ["error": ["message": "no route \(request.method) \(request.path)", "type": "invalid_request_error"]],
                     context: context)
        }
    }

    private func applyNonStreamingFault(_ fault: FakeOpenAIScript.Fault, context: ChannelHandlerContext) {
        switch fault {
        case .status(let code):
            sendJSON(status: code, ["error": ["message": "scripted failure", "type": "server_error"]], context: context)
        case .stall:
            return
        case .dropAfter, .endless:
            context.close(promise: nil)
        case .malformedChunk:
            send(raw: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"text\": ", context: context, close: true)
        }
    }

    // MARK: Wire format

    private func sendJSON(status: Int, _ object: [String: Any], context: ChannelHandlerContext) {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
    }

    private func send(raw: String, context: ChannelHandlerContext, close: Bool = false) {
        let buffer = context.channel.allocator.buffer(string: raw)
        let write = context.writeAndFlush(wrapOutboundOut(buffer))
        if close { write.whenComplete { _ in context.close(promise: nil) } }
    }

    /// One SSE event inside one HTTP chunk, as OpenAI sends them.
    private static func chunk(_ event: String) -> String {
        let bytes = event.utf8.count
        return String(bytes, radix: 16) + "\r\n" + event + "\r\n"
    }

    private static func delta(_ content: String?, toolCalls: [[String: Any]]? = nil, role: Bool = false, finish: String? = nil,
                              model: String) -> String {
        var delta: [String: Any] = [:]
        if role { delta["role"] = "assistant" }
        if let content { delta["content"] = content }
        if let toolCalls { delta["tool_calls"] = toolCalls }
        let choice: [String: Any] = ["index": 0, "delta": delta, "finish_reason": finish ?? NSNull()]
        let object: [String: Any] = ["id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_790_000_000,
                                     "model": model, "choices": [choice]]
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "data: \(json)\n\n"
    }

    /// The model asking for the script's tools: each call's name first, its arguments in two pieces.
    private func streamToolCalls(model: String, context: ChannelHandlerContext) {
        func event(_ calls: [[String: Any]]?, finish: String? = nil) -> String { Self.delta(nil, toolCalls: calls, finish: finish, model: model) }
        var events = [Self.delta("", role: true, model: model)]
        for (index, call) in script.toolCalls.enumerated() {
            let half = call.arguments.index(call.arguments.startIndex, offsetBy: call.arguments.count / 2)
            events.append(event([["index": index, "id": "call_\(index)", "type": "function", "function": ["name": call.name, "arguments": ""]]]))
            events.append(event([["index": index, "function": ["arguments": String(call.arguments[..<half])]]]))
            events.append(event([["index": index, "function": ["arguments": String(call.arguments[half...])]]]))
        }
        events.append(event(nil, finish: "tool_calls"))
        events.append("data: [DONE]\n\n")
        send(raw: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
             + events.map(Self.chunk).joined() + "0\r\n\r\n", context: context, close: true)
    }

    private func streamChat(deltas: [String], model: String, context: ChannelHandlerContext) {
        let chatFault = script.chatFault != nil && log.takeFault("chat", limit: script.faultCount) ? script.chatFault : nil
        if case .status? = chatFault, let fault = chatFault {
            applyNonStreamingFault(fault, context: context)
            return
        }
        if chatFault == .stall { return }
        send(raw: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
             + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n", context: context)

        var events: [String] = [Self.delta("", role: true, model: model)]
        switch chatFault {
        case .endless?:
            events += Array(repeating: Self.delta(String(repeating: "la ", count: 200), model: model), count: 20_000)
        default:
            events += deltas.map { Self.delta($0, model: model) }
            events.append(Self.delta(nil, finish: "stop", model: model))
            events.append("data: [DONE]\n\n")
        }
        var dropAfter: Int?
        if case .dropAfter(let count)? = chatFault { dropAfter = count }
        let malformed = chatFault == .malformedChunk

        let loop = context.eventLoop.assumeIsolated()
        var delay = script.firstTokenDelay
        for (index, event) in events.enumerated() {
            let isLast = index == events.count - 1
            let deltaNumber = index // the role-only event is number 0
            loop.scheduleTask(in: TimeAmount(delay)) {
                guard context.channel.isActive else { return }
                if let dropAfter, deltaNumber > dropAfter {
                    context.close(promise: nil)
                    return
                }
                if malformed && deltaNumber == 1 {
                    self.send(raw: Self.chunk("data: {\"choices\": [{\"delta\": {\"content\": \"unterminated\n\n"), context: context)
                }
                var text = Self.chunk(event)
                if isLast { text += "0\r\n\r\n" }
                self.send(raw: text, context: context, close: isLast)
            }
            if index > 0 { delay += script.interChunkDelay }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
