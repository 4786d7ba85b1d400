import AsyncHTTPClient
import CubbyConfiguration
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
        http = CloudEndpoint.client(connectTimeoutMilliseconds: min(settings.timeoutMilliseconds, 2_000))
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Streams the sentence as 24 kHz mono samples, chunk by chunk as they arrive, so the speaker can
    /// start before the whole sentence is rendered. `onSamples` sees every sample once, in order.
    public func stream(_ text: String, onSamples: ([Int16]) throws -> Void) async throws(CubbyError) {
        let (request, context) = makeRequest(text)
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeoutMilliseconds)))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 16 * 1024)
                try OpenAICompatibleClient.checkStatus(response.status, body: body, context: context)
                return
            }
            var received = 0
            var carry: UInt8?
            for try await buffer in response.body {
                received += buffer.readableBytes
                guard received <= settings.maximumResponseBytes else {
                    throw CubbyError(.cloud, "speech response exceeded \(settings.maximumResponseBytes) bytes", context: context)
                }
                var bytes = Array(buffer.readableBytesView)
                if let first = carry { bytes.insert(first, at: 0) }
                carry = bytes.count % 2 == 1 ? bytes.removeLast() : nil
                guard !bytes.isEmpty else { continue }
                try onSamples(stride(from: 0, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) })
            }
            guard received >= 2 else { throw CubbyError(.cloud, "speech response was empty", context: context) }
        } catch {
            throw OpenAICompatibleClient.describe(error, context: context)
        }
    }

    private func makeRequest(_ text: String) -> (HTTPClientRequest, String) {
        let url = EndpointAddress.url(settings.baseURL, "/v1/audio/speech")
        let body: [String: Any] = ["model": settings.model, "voice": settings.voice, "input": text, "response_format": "pcm", "stream_format": "audio"]
        let bytes = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return (CloudEndpoint.post(url, contentType: "application/json", key: settings.apiKey, body: Array(bytes)), "POST \(url)")
    }

}
