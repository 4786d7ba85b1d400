import AsyncHTTPClient
import CubbyCore
import Foundation
import NIOCore

/// Asks a cloud voice for one sentence as raw PCM. The sentence has already passed the safety gate:
/// only admitted text is ever sent here.
public final class CloudSpeechClient: Sendable {
    public let settings: CloudSpeechSettings
    private let http: HTTPClient

    public init(settings: CloudSpeechSettings) {
        self.settings = settings
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(min(settings.timeoutMilliseconds, 2_000))))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The sentence as 24 kHz mono samples.
    public func synthesize(_ text: String) async throws(CubbyError) -> [Int16] {
        var base = settings.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        let url = base + "/v1/audio/speech"
        let context = "POST \(url)"
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "cubby/\(CubbyVersion.string)")
        if let key = settings.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let body: [String: Any] = ["model": settings.model, "voice": settings.voice, "input": text, "response_format": "pcm"]
        request.body = .bytes(ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()))
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeoutMilliseconds)))
            let audio = try await response.body.collect(upTo: settings.maximumResponseBytes)
            try OpenAICompatibleClient.checkStatus(response.status, body: audio, context: context)
            guard audio.readableBytes >= 2, audio.readableBytes % 2 == 0 else {
                throw CubbyError(.cloud, "speech response is not 16-bit PCM (\(audio.readableBytes) bytes)", context: context)
            }
            return audio.readableBytesView.withContiguousStorageIfAvailable { bytes in
                stride(from: 0, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
            } ?? Array(audio.readableBytesView).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)).map { Int16(littleEndian: $0) } }
        } catch {
            throw OpenAICompatibleClient.describe(error, context: context)
        }
    }
}
