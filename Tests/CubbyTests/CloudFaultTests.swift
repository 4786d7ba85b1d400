import CubbyCloud
import CubbyCore
@testable import CubbyRuntime
import CubbyTesting
import Foundation
import Logging
import Testing

/// Every fault of the OpenAI-compatible cloud ends in the offline line or a clean retry: never a crash,
/// never a hang.
@Suite struct CloudFaultTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let reply = ["Owls can turn ", "their heads very far ", "around. Isn't that ", "amazing?"]

    func runOnce(_ script: FakeOpenAIScript) async throws -> (Daemon, FakeOpenAIServer, Duration) {
        let server = try await FakeOpenAIServer(script: script)
        let sandbox = try Sandbox(cloud: server.baseURL, cloudExtra: """
            first_token_timeout_ms = 600
            idle_timeout_ms = 600
            transcription_timeout_ms = 1500
            max_response_bytes = 65536
            """)
        defer { sandbox.remove() }
        let options = DaemonOptions(configurationPath: sandbox.configPath, mode: .once(waitForWake: true), trapSignals: false)
        let daemon = try Daemon(options: options, logger: Self.logger)
        let started = ContinuousClock.now
        try await daemon.run()
        let took = ContinuousClock.now - started
        try await server.stop()
        return (daemon, server, took)
    }

    @Test(arguments: [FakeOpenAIScript.Fault.status(401), .status(429), .status(500), .stall, .malformedChunk, .dropAfter(deltas: 1), .endless])
    func aChatFaultEndsInTheOfflineLineOrAnHonestPartialAnswer(fault: FakeOpenAIScript.Fault) async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.chatFault = fault
        let (daemon, _, took) = try await runOnce(script)
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.failure != nil, "the fault is recorded")
        if turn.outcome == .offline {
            #expect(daemon.current.persona.offlineLines.contains(turn.said.first ?? ""))
        } else {
            #expect(turn.outcome == .answered && !turn.said.isEmpty, "\(turn.outcome): what was said stands, the rest is dropped")
        }
        #expect(took < .seconds(20), "no hang: \(took)")
    }

    @Test(arguments: [FakeOpenAIScript.Fault.status(401), .status(500), .stall, .malformedChunk])
    func aTranscriptionFaultEndsInTheOfflineLine(fault: FakeOpenAIScript.Fault) async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.transcriptionFault = fault
        let (daemon, server, _) = try await runOnce(script)
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.outcome == .offline)
        #expect(!server.requests.contains { $0.path == "/v1/chat/completions" })
        // 401 is not worth repeating; 500 is retried once; a stall is not retried (it already took its time).
        let transcriptions = server.requests.filter { $0.path == "/v1/audio/transcriptions" }.count
        #expect(transcriptions == (fault == .status(500) ? 2 : 1), "\(transcriptions) transcription requests")
    }

    @Test func aTransientFailureIsRetriedAndTheTurnAnswered() async throws {
        var script = FakeOpenAIScript.fixed(heard: "tell me about owls", reply: Self.reply)
        script.transcriptionFault = .status(503)
        script.chatFault = .status(429)
        script.faultCount = 1
        let (daemon, server, _) = try await runOnce(script)
        let turn = try #require(daemon.journal.turns.first)
        #expect(turn.outcome == .answered)
        #expect(turn.said == ["Owls can turn their heads very far around.", "Isn't that amazing?"])
        #expect(server.requests.map(\.path) == ["/v1/audio/transcriptions", "/v1/audio/transcriptions", "/v1/chat/completions", "/v1/chat/completions"])
    }
}

@Suite struct ResilienceTests {
    @Test func retryDelaysAreJitteredAndCapped() {
        let policy = RetryPolicy(retries: 3, baseDelay: .milliseconds(100), maximumDelay: .milliseconds(300))
        #expect(policy.delay(before: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(before: 2, random: 1) == .milliseconds(200))
        #expect(policy.delay(before: 3, random: 1) == .milliseconds(300), "capped")
        #expect(policy.delay(before: 2, random: 0) == .zero)
        #expect(policy.delay(before: 2, random: 0.5) == .milliseconds(100))
    }

    @Test func onlyTransientErrorsAreRetried() async {
        let policy = RetryPolicy(retries: 2, baseDelay: .milliseconds(1))
        let calls = Counter()
        var transient = CubbyError(.cloud, "HTTP 503")
        transient.isTransient = true
        await #expect(throws: CubbyError.self) {
            try await policy.run { () throws(CubbyError) -> Int in calls.next(); throw transient }
        }
        #expect(calls.value == 3, "the first try and two retries")
        let permanent = Counter()
        await #expect(throws: CubbyError.self) {
            try await policy.run { () throws(CubbyError) -> Int in permanent.next(); throw CubbyError(.cloud, "HTTP 401") }
        }
        #expect(permanent.value == 1)
    }

    @Test func theBreakerOpensRestsAndTriesAgain() {
        let breaker = CircuitBreaker(threshold: 3, coolDown: .seconds(30))
        let start = ContinuousClock.now
        for _ in 0..<2 { breaker.recordFailure(at: start) }
        #expect(breaker.allowsRequest(at: start), "two failures are not yet a pattern")
        breaker.recordFailure(at: start)
        #expect(!breaker.allowsRequest(at: start + .seconds(10)), "open: no request for the cool-down")
        #expect(breaker.allowsRequest(at: start + .seconds(31)), "one trial after the cool-down")
        breaker.recordFailure(at: start + .seconds(31))
        #expect(!breaker.allowsRequest(at: start + .seconds(32)), "a failed trial opens it again")
        #expect(breaker.allowsRequest(at: start + .seconds(62)))
        breaker.recordSuccess()
        #expect(breaker.currentState == .closed)
    }
}
