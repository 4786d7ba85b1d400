import CubbyCloud
import CubbyConfiguration
import CubbyCore
import CubbyTesting
import Foundation
import Testing

/// A WebSocket session against a local server that speaks the xiaozhi protocol frame for frame.
@Suite struct XiaozhiSessionTests {
    static func settings(_ server: FakeXiaozhiServer, version: XiaozhiAudioFrame.Version = .v1, helloTimeout: Int = 10_000) -> XiaozhiSettings {
        XiaozhiSettings(url: server.url, token: "secret-token", deviceID: "02:4a:7d:e1:00:01", clientID: "7a1c3b1e-0000-4000-8000-000000000001",
                        protocolVersion: version, helloTimeoutMilliseconds: helloTimeout)
    }

    static let hello = XiaozhiDeviceMessage.hello(sampleRate: 16_000, frameDurationMilliseconds: 60, echoCancelled: true)

    @Test(arguments: XiaozhiAudioFrame.Version.allCases)
    func aTurnOverTheWire(version: XiaozhiAudioFrame.Version) async throws {
        var script = FakeXiaozhiScript()
        script.heard = "why is the sky blue"
        script.sentences = ["The sky scatters blue light.", "Isn't that neat?"]
        script.packets = { sentence in (0..<3).map { [UInt8(sentence.count & 0xFF), UInt8($0), 0xFC] } }
        let server = try await FakeXiaozhiServer(script: script)
        defer { Task { try? await server.stop() } }

        let events = try await XiaozhiSession.run(settings: Self.settings(server, version: version), hello: Self.hello) { session in
            #expect(session.sessionID == "fake-session")
            #expect(session.serverSampleRate == 24_000)
            try await session.send(.listenStart(sessionID: session.sessionID, mode: .manual))
            for index in 0..<4 { try await session.sendAudio([0xF8, UInt8(index)]) }
            try await session.send(.listenStop(sessionID: session.sessionID))
            var seen: [XiaozhiEvent] = []
            for try await event in session.events {
                seen.append(event)
                if event == .message(.ttsStop) { break }
            }
            return seen
        }
        #expect(events.first == .message(.stt(text: "why is the sky blue")))
        #expect(events.contains(.message(.emotion(name: "happy", emoji: "🙂"))))
        #expect(events.filter { if case .message(.sentenceStart) = $0 { return true } else { return false } }
                == [.message(.sentenceStart(text: "The sky scatters blue light.")), .message(.sentenceStart(text: "Isn't that neat?"))])
        #expect(events.filter { if case .audio = $0 { return true } else { return false } }.count == 6)
        #expect(events.contains(.audio([28, 1, 0xFC])), "the first sentence's second packet, unframed")

        let record = server.record
        #expect(record.header("Authorization") == "Bearer secret-token")
        #expect(record.header("Protocol-Version") == "\(version.rawValue)")
        #expect(record.header("Device-Id") == "02:4a:7d:e1:00:01")
        #expect(record.header("Client-Id") == "7a1c3b1e-0000-4000-8000-000000000001")
        #expect(record.audioPackets == 4)
        #expect(record.texts.first?.contains(#""type":"hello""#) == true)
    }

    @Test func aServerThatNeverSaysHelloEndsTheSessionInTime() async throws {
        var script = FakeXiaozhiScript()
        script.answersHello = false
        let server = try await FakeXiaozhiServer(script: script)
        defer { Task { try? await server.stop() } }
        let started = ContinuousClock.now
        await #expect {
            try await XiaozhiSession.run(settings: Self.settings(server, helloTimeout: 300), hello: Self.hello) { _ in true }
        } throws: { error in "\(error)".contains("did not answer hello in time") }
        #expect(ContinuousClock.now - started < .seconds(10), "the deadline holds (300 ms here), even on a busy machine")
    }

    @Test func aRefusedConnectionIsAClearError() async throws {
        let settings = XiaozhiSettings(url: "ws://127.0.0.1:9/xiaozhi/v1/", deviceID: "d", clientID: "c", helloTimeoutMilliseconds: 1_000)
        await #expect {
            try await XiaozhiSession.run(settings: settings, hello: Self.hello) { _ in true }
        } throws: { error in (error as? CubbyError)?.code == .cloud && "\(error)".contains("cannot connect") }
    }

    @Test func plainWebSocketsToAnotherHostAreRefusedBeforeConnecting() async throws {
        #expect(XiaozhiSettings.problem(withURL: "ws://xiaozhi.example.com/xiaozhi/v1/", allowInsecure: false)?.contains("unencrypted") == true)
        #expect(XiaozhiSettings.problem(withURL: "wss://xiaozhi.example.com/xiaozhi/v1/", allowInsecure: false) == nil)
        #expect(XiaozhiSettings.problem(withURL: "ws://localhost:8000/xiaozhi/v1/", allowInsecure: false) == nil)
        #expect(XiaozhiSettings.problem(withURL: "http://x/", allowInsecure: true)?.contains("not ws or wss") == true)
    }

    @Test func abortStopsTheServersSpeech() async throws {
        var script = FakeXiaozhiScript()
        script.sentences = (1...20).map { "Sentence \($0)." }
        script.packets = { _ in (0..<5).map { [UInt8($0)] } }
        script.frameDelay = .milliseconds(20)
        let server = try await FakeXiaozhiServer(script: script)
        defer { Task { try? await server.stop() } }

        let sentences = try await XiaozhiSession.run(settings: Self.settings(server), hello: Self.hello) { session in
            try await session.send(.listenStop(sessionID: session.sessionID))
            var sentences = 0
            for try await event in session.events {
                if case .message(.sentenceStart) = event {
                    sentences += 1
                    if sentences == 2 { try await session.send(.abort(sessionID: session.sessionID, reason: "wake_word_detected")) }
                }
                if sentences >= 2 {
                    // Nothing more should come; give the server a moment to prove it.
                    try await Task.sleep(for: .milliseconds(300))
                    break
                }
            }
            return sentences
        }
        #expect(sentences == 2)
        #expect(server.record.aborted)
    }

    @Test func aConnectionDroppedMidReplyEndsTheEventsWithAnError() async throws {
        var script = FakeXiaozhiScript()
        script.sentences = ["One.", "Two.", "Three."]
        script.packets = { _ in [[1], [2]] }
        script.dropAfterSentences = 1
        let server = try await FakeXiaozhiServer(script: script)
        defer { Task { try? await server.stop() } }
        let outcome = try await XiaozhiSession.run(settings: Self.settings(server), hello: Self.hello) { session in
            try await session.send(.listenStop(sessionID: session.sessionID))
            do {
                for try await _ in session.events {}
                return "ended without error"
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome.contains("closed") || outcome.contains("ended"), "\(outcome)")
        #expect(outcome != "ended without error")
    }

    @Test func theDeviceAnswersTheServersMCPRequestsOverTheChannel() async throws {
        var script = FakeXiaozhiScript()
        script.mcpRequests = [#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#, #"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}"#]
        let server = try await FakeXiaozhiServer(script: script)
        defer { Task { try? await server.stop() } }
        let tools = DeviceToolServer(tools: [DeviceTool(name: "self.express", description: "Show an emotion.", inputSchema: #"{"type":"object"}"#)]) { _, _ in
            .success("ok")
        }
        try await XiaozhiSession.run(settings: Self.settings(server), hello: Self.hello) { session in
            var answered = 0
            for try await event in session.events {
                guard case .message(.mcp(let payload)) = event, let response = await tools.respond(to: payload) else { continue }
                try await session.send(.mcp(sessionID: session.sessionID, payload: response))
                answered += 1
                if answered == 2 { break }
            }
            // Keep the session open until the server has read both answers.
            let deadline = ContinuousClock.now + .seconds(10)
            while server.record.texts.filter({ $0.contains(#""type":"mcp""#) }).count < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let answers = server.record.texts.filter { $0.contains(#""type":"mcp""#) }
        #expect(answers.count == 2)
        #expect(answers.contains { $0.contains("2024-11-05") })
        #expect(answers.contains { $0.contains("self.express") })
    }
}
