import AsyncHTTPClient
import CubbyConfiguration
import CubbyCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Talks to any service that speaks OpenAI's HTTP API: OpenAI, DeepSeek, Qwen, a vLLM or Ollama box.
///
/// Only what the toy needs: transcribe one utterance, then stream one chat completion. Every failure
/// becomes a `CubbyError` of code `.cloud` that says what happened without the API key in it.
public final class OpenAICompatibleClient: Sendable {
    public let settings: CloudSettings
    private let http: HTTPClient
    private let logger: Logger

    public init(settings: CloudSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        http = CloudEndpoint.client(connectTimeoutMilliseconds: settings.connectTimeoutMilliseconds)
    }

    /// Closes connections; call once when the client is no longer needed.
    public func shutdown() async {
        try? await http.shutdown()
    }

    private func request(_ path: String, contentType: String, body: [UInt8], base: String? = nil, key override: String? = nil) -> HTTPClientRequest {
        CloudEndpoint.post(settings.url(path, base: base), contentType: contentType, key: override ?? settings.apiKey, body: body)
    }

    /// Sends one utterance (a WAV) to `/v1/audio/transcriptions`; returns the text.
    public func transcribe(wav: [UInt8]) async throws(CubbyError) -> String {
        var form = MultipartForm()
        form.addField("model", settings.transcriptionModel)
        form.addField("response_format", "json")
        if let language = settings.transcriptionLanguage { form.addField("language", language) }
        form.addFile("file", filename: "utterance.wav", contentType: "audio/wav", data: wav)
        let path = "/v1/audio/transcriptions"
        let base = settings.transcriptionBaseURL
        let key = base == nil ? nil : settings.transcriptionAPIKey ?? ""
        let request = request(path, contentType: form.contentType, body: form.encoded(), base: base, key: key)
        let context = "POST \(settings.url(path, base: base))"
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.transcriptionTimeoutMilliseconds)))
            let body = try await response.body.collect(upTo: min(settings.maximumResponseBytes, 256 * 1024))
            try Self.checkStatus(response.status, body: body, context: context)
            struct Transcription: Decodable { var text: String }
            guard let decoded = try? JSONDecoder().decode(Transcription.self, from: Data(body.readableBytesView)) else {
                throw CubbyError(.cloud, "transcription response is not JSON with a \"text\" field: \(String(buffer: body).prefix(120))", context: context)
            }
            return decoded.text.trimmingSpaces()
        } catch {
            throw Self.describe(error, context: context)
        }
    }

    /// Streams a chat completion; `onEvent` sees each text delta as it arrives. `onRequestSent` marks the
    /// moment the request left, for latency accounting.
    public func streamChat(
        messages: [ChatMessage],
        tools: [DeviceTool] = [],
        onRequestSent: @escaping @Sendable () -> Void = {},
        onEvent: @escaping @Sendable (ChatStreamEvent) async throws -> Void
    ) async throws(CubbyError) {
        struct Body: Encodable {
            var model: String
            var messages: [ChatMessage]
            var stream = true
            var max_tokens: Int
        }
        let path = "/v1/chat/completions"
        let context = "POST \(settings.url(path))"
        let payload: [UInt8]
        do {
            let body = try JSONEncoder().encode(Body(model: settings.chatModel, messages: messages, max_tokens: settings.maximumReplyTokens))
            if tools.isEmpty {
                payload = Array(body)
            } else {
                // The tools' schemas are JSON already: the body is assembled as JSON objects to carry them as they are.
                var object = (try JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
                object["tools"] = try tools.map { tool -> [String: Any] in
                    ["type": "function", "function": ["name": tool.name, "description": tool.description,
                                                      "parameters": try JSONSerialization.jsonObject(with: tool.inputSchema)]]
                }
                payload = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            }
        } catch {
            throw CubbyError(.cloud, "cannot encode the chat request", context: context, underlying: error)
        }
        var chatRequest = request(path, contentType: "application/json", body: payload)
        chatRequest.headers.add(name: "Accept", value: "text/event-stream")
        let request = chatRequest
        let watchdog = StallWatchdog(
            first: .milliseconds(settings.firstTokenTimeoutMilliseconds), idle: .milliseconds(settings.idleTimeoutMilliseconds),
            waitingFor: "the first token")
        let http = self.http
        let limit = settings.maximumResponseBytes
        do {
            try await watchdog.run(context: context) {
                onRequestSent()
                let response = try await http.execute(request, timeout: .seconds(120))
                guard response.status == .ok else {
                    let body = try await response.body.collect(upTo: 16 * 1024)
                    try Self.checkStatus(response.status, body: body, context: context)
                    return
                }
                var parser = ServerSentEventParser()
                var received = 0
                var finished = false
                for try await buffer in response.body {
                    received += buffer.readableBytes
                    guard received <= limit else {
                        throw CubbyError(.cloud, "response exceeded \(limit) bytes", context: context)
                    }
                    for event in try parser.feed(buffer.readableBytesView) {
                        for decoded in try ChatChunkDecoder.decode(event.data) {
                            switch decoded {
                            case .text, .toolCall: watchdog.touch(nowWaitingFor: "the next chunk")
                            case .finished: break
                            }
                            if case .finished(reason: nil) = decoded { finished = true }
                            try await onEvent(decoded)
                        }
                    }
                    if finished { return }
                }
                if let last = parser.finish() {
                    for decoded in try ChatChunkDecoder.decode(last.data) { try await onEvent(decoded) }
                    return
                }
                throw CubbyError(.cloud, "the stream ended before [DONE]", context: context)
            }
        } catch {
            throw Self.describe(error, context: context)
        }
    }

    static func checkStatus(_ status: HTTPResponseStatus, body: ByteBuffer, context: String) throws(CubbyError) {
        guard !(200..<300).contains(status.code) else { return }
        struct ErrorBody: Decodable { struct Inner: Decodable { var message: String? }; var error: Inner? }
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)))?.error?.message
        let hint: String
        switch status.code {
        case 401, 403: hint = " (check the API key)"
        case 404: hint = " (check the base URL and model name)"
        case 429: hint = " (rate limited or out of quota)"
        default: hint = ""
        }
        var error = CubbyError(.cloud, "HTTP \(status.code)\(hint)\(message.map { ": \($0.prefix(200))" } ?? "")", context: context)
        error.isTransient = status.code == 429 || status.code >= 500
        throw error
    }

    static func describe(_ error: any Error, context: String) -> CubbyError {
        if let error = error as? CubbyError { return error }
        if error is CancellationError { return CubbyError(.cloud, "cancelled", context: context) }
        if let error = error as? HTTPClientError {
            switch error {
            // Not retried: the offline line must follow a dead host within a second.
            case .connectTimeout: return CubbyError(.cloud, "connect timed out", context: context)
            case .remoteConnectionClosed: return CubbyError(.cloud, "the server closed the connection mid-response", context: context)
            case .deadlineExceeded: return CubbyError(.cloud, "request timed out", context: context)
            default: return CubbyError(.cloud, "\(error)", context: context)
            }
        }
        if let error = error as? NIOTooManyBytesError { return CubbyError(.cloud, "response too large (\(error))", context: context) }
        return CubbyError(.cloud, "\(error)", context: context)
    }
}

