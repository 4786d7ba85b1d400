import AsyncHTTPClient
import CubbyConfiguration
import CubbyCore
import Foundation
import Logging
import NIOCore

/// Asks a guard model whether a text is safe, within a time budget.
public final class GuardModelClient: Sendable {
    public enum Verdict: Sendable, Equatable {
        case safe
        /// Flagged; `labels` are the guard's own category names (for the log and history).
        case unsafe(labels: [String])
    }

    public let settings: GuardSettings
    private let http: HTTPClient

    public init(settings: GuardSettings) {
        self.settings = settings
        http = CloudEndpoint.client(connectTimeoutMilliseconds: settings.timeoutMilliseconds)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    private var url: String {
        EndpointAddress.url(settings.baseURL, settings.kind == .moderation ? "/v1/moderations" : "/v1/chat/completions")
    }

    /// The guard's verdict, or a `.cloud` error when it does not answer well within the budget.
    public func review(_ text: String) async throws(CubbyError) -> Verdict {
        let context = "POST \(url)"
        let body: [String: Any]
        switch settings.kind {
        case .moderation: body = ["model": settings.model, "input": text]
        case .chat: body = ["model": settings.model, "messages": [["role": "user", "content": text]], "max_tokens": 20, "temperature": 0]
        }
        let bytes = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        let request = CloudEndpoint.post(url, contentType: "application/json", key: settings.apiKey, body: Array(bytes))
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeoutMilliseconds)))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            try OpenAICompatibleClient.checkStatus(response.status, body: answer, context: context)
            return try Self.parse(Data(answer.readableBytesView), kind: settings.kind, context: context)
        } catch {
            throw OpenAICompatibleClient.describe(error, context: context)
        }
    }

    static func parse(_ data: Data, kind: GuardSettings.Kind, context: String) throws(CubbyError) -> Verdict {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CubbyError(.cloud, "guard answer is not a JSON object", context: context)
        }
        switch kind {
        case .moderation:
            guard let result = (object["results"] as? [[String: Any]])?.first, let flagged = result["flagged"] as? Bool else {
                throw CubbyError(.cloud, "moderation answer has no results[0].flagged", context: context)
            }
            guard flagged else { return .safe }
            let categories = (result["categories"] as? [String: Any]) ?? [:]
            return .unsafe(labels: categories.filter { ($0.value as? Bool) == true }.map(\.key).sorted())
        case .chat:
            guard let message = ((object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]),
                  let content = message["content"] as? String else {
                throw CubbyError(.cloud, "guard answer has no choices[0].message.content", context: context)
            }
            // Llama Guard: "safe" or "unsafe\nS1,S10". Qwen3Guard: "Safety: Unsafe\nCategories: Violent".
            let lines = content.lowercased().split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = lines.first else { throw CubbyError(.cloud, "guard answer is empty", context: context) }
            let verdict = first.hasPrefix("safety:") ? first.dropFirst("safety:".count).trimmingCharacters(in: .whitespaces) : first
            if verdict.hasPrefix("unsafe") || verdict.hasPrefix("controversial") {
                let labels = lines.dropFirst().flatMap { $0.replacingOccurrences(of: "categories:", with: "").split(separator: ",") }
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                return .unsafe(labels: labels)
            }
            if verdict.hasPrefix("safe") { return .safe }
            throw CubbyError(.cloud, "guard answer starts with neither safe nor unsafe: \(content.prefix(60))", context: context)
        }
    }
}
