import CubbyCloud
import CubbyCore
import Foundation
import Testing

/// The xiaozhi protocol's frames and messages, byte for byte as the public firmware and server use them.
@Suite struct XiaozhiProtocolTests {
    @Test func binaryVersionsFrameAPacketAsTheFirmwareDoes() throws {
        let packet: [UInt8] = [0xF8, 0x01, 0x02, 0x03, 0x04]
        let frame = XiaozhiAudioFrame(payload: packet, timestampMilliseconds: 0x0102_0304)
        #expect(frame.encoded(.v1) == packet)
        #expect(frame.encoded(.v2) == [0, 2, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 5] + packet)
        #expect(frame.encoded(.v3) == [0, 0, 0, 5] + packet)
        for version in XiaozhiAudioFrame.Version.allCases {
            let decoded = try XiaozhiAudioFrame.decode(frame.encoded(version), version: version)
            #expect(decoded.payload == packet)
            #expect(decoded.type == .opus)
        }
        #expect(try XiaozhiAudioFrame.decode(frame.encoded(.v2), version: .v2).timestampMilliseconds == 0x0102_0304)
    }

    @Test(arguments: [([UInt8]([0, 0, 0, 9, 1, 2]), XiaozhiAudioFrame.Version.v3), ([0, 0, 1], .v3), ([0, 2, 0, 0], .v2),
                      ([0, 2, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9], .v2)])
    func aDamagedFrameIsAnErrorNotNoise(bytes: [UInt8], version: XiaozhiAudioFrame.Version) {
        #expect(throws: CubbyError.self) { try XiaozhiAudioFrame.decode(bytes, version: version) }
    }

    @Test func serverMessagesAreParsed() throws {
        #expect(try XiaozhiServerMessage.parse(#"{"type":"hello","transport":"websocket","session_id":"s1","audio_params":{"sample_rate":24000,"frame_duration":60}}"#)
                == .hello(sessionID: "s1", sampleRate: 24000, frameDurationMilliseconds: 60))
        #expect(try XiaozhiServerMessage.parse(#"{"type":"stt","text":"why is the sky blue"}"#) == .stt(text: "why is the sky blue"))
        #expect(try XiaozhiServerMessage.parse(#"{"type":"llm","text":"😀","emotion":"happy"}"#) == .emotion(name: "happy", emoji: "😀"))
        #expect(try XiaozhiServerMessage.parse(#"{"type":"tts","state":"sentence_start","text":"Hello!"}"#) == .sentenceStart(text: "Hello!"))
        #expect(try XiaozhiServerMessage.parse(#"{"type":"tts","state":"stop"}"#) == .ttsStop)
        #expect(try XiaozhiServerMessage.parse(#"{"type":"system","command":"reboot"}"#) == .system(command: "reboot"))
        #expect(try XiaozhiServerMessage.parse(#"{"type":"future_thing"}"#) == .other(type: "future_thing"))
        #expect(throws: CubbyError.self) { try XiaozhiServerMessage.parse("{not json") }
        #expect(throws: CubbyError.self) { try XiaozhiServerMessage.parse(#"{"text":"no type"}"#) }
    }

    @Test func theDeviceHelloAnnouncesOpusSixteenKilohertzSixtyMilliseconds() throws {
        let hello = try #require(try JSONSerialization.jsonObject(with: Data(XiaozhiDeviceMessage.hello(sampleRate: 16_000, frameDurationMilliseconds: 60, echoCancelled: true).json().utf8)) as? [String: Any])
        #expect(hello["type"] as? String == "hello" && hello["transport"] as? String == "websocket" && hello["version"] as? Int == 1)
        let audio = try #require(hello["audio_params"] as? [String: Any])
        #expect(audio["format"] as? String == "opus" && audio["sample_rate"] as? Int == 16_000 && audio["channels"] as? Int == 1 && audio["frame_duration"] as? Int == 60)
        #expect((hello["features"] as? [String: Bool]) == ["mcp": true, "aec": true])
        #expect(XiaozhiDeviceMessage.abort(sessionID: "s1", reason: "wake_word_detected").json()
                == #"{"reason":"wake_word_detected","session_id":"s1","type":"abort"}"#)
        #expect(XiaozhiDeviceMessage.listenStart(sessionID: "s1", mode: .manual).json() == #"{"mode":"manual","session_id":"s1","state":"start","type":"listen"}"#)
    }

    @Test func theDeviceAnswersMCPWithItsOwnTools() async throws {
        let server = DeviceToolServer(tools: [
            DeviceTool(name: "self.audio_speaker.set_volume", description: "Set the speaker volume (0-100).",
                       inputSchema: #"{"type":"object","properties":{"volume":{"type":"integer"}},"required":["volume"]}"#),
        ]) { name, arguments in
            let volume = (try? JSONSerialization.jsonObject(with: arguments) as? [String: Any])?["volume"] as? Int ?? -1
            return volume <= 60 ? .success("volume \(volume)") : .failure(.init("the parent's limit is 60"))
        }
        func ask(_ json: String) async throws -> [String: Any] {
            let data = try #require(await server.respond(to: Data(json.utf8)))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let initialize = try await ask(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#)
        #expect((initialize["result"] as? [String: Any])?["protocolVersion"] as? String == "2024-11-05")
        let list = try await ask(#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":""}}"#)
        let tools = try #require((list["result"] as? [String: Any])?["tools"] as? [[String: Any]])
        #expect(tools.map { $0["name"] as? String } == ["self.audio_speaker.set_volume"])
        let ok = try await ask(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"self.audio_speaker.set_volume","arguments":{"volume":40}}}"#)
        #expect((ok["result"] as? [String: Any])?["isError"] as? Bool == false)
        let refused = try await ask(#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"self.audio_speaker.set_volume","arguments":{"volume":100}}}"#)
        #expect((refused["result"] as? [String: Any])?["isError"] as? Bool == true)
        let unknown = try await ask(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"self.reboot"}}"#)
        #expect((unknown["error"] as? [String: Any])?["code"] as? Int == -32602)
        #expect(await server.respond(to: Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8)) == nil)
    }
}
