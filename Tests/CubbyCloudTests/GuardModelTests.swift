@testable import CubbyCloud
import CubbyConfiguration
import CubbyCore
import Foundation
import Testing

/// How the guard model's answers are read: moderation JSON, and the two common guard-model formats.
@Suite struct GuardModelTests {
    func chat(_ content: String) -> Data {
        Data(#"{"choices": [{"message": {"role": "assistant", "content": \#(String(decoding: try! JSONEncoder().encode(content), as: UTF8.self))}}]}"#.utf8)
    }

    @Test func readsLlamaGuardAndQwen3GuardAnswers() throws {
        #expect(try GuardModelClient.parse(chat("safe"), kind: .chat, context: "t") == .safe)
        #expect(try GuardModelClient.parse(chat("unsafe\nS1,S10"), kind: .chat, context: "t") == .unsafe(labels: ["s1", "s10"]))
        #expect(try GuardModelClient.parse(chat("Safety: Unsafe\nCategories: Violent"), kind: .chat, context: "t") == .unsafe(labels: ["violent"]))
        #expect(try GuardModelClient.parse(chat("Safety: Safe\nCategories: None"), kind: .chat, context: "t") == .safe)
    }

    @Test func readsModerationAnswers() throws {
        let flagged = Data(#"{"results": [{"flagged": true, "categories": {"sexual": false, "violence": true}}]}"#.utf8)
        #expect(try GuardModelClient.parse(flagged, kind: .moderation, context: "t") == .unsafe(labels: ["violence"]))
        let clean = Data(#"{"results": [{"flagged": false, "categories": {}}]}"#.utf8)
        #expect(try GuardModelClient.parse(clean, kind: .moderation, context: "t") == .safe)
    }

    @Test(arguments: [("not json", GuardSettings.Kind.chat), (#"{"choices": []}"#, .chat), (#"{"results": [{}]}"#, .moderation)])
    func nonsenseIsAnErrorNotAVerdict(body: String, kind: GuardSettings.Kind) {
        #expect(throws: CubbyError.self) { try GuardModelClient.parse(Data(body.utf8), kind: kind, context: "t") }
        #expect(throws: CubbyError.self) { try GuardModelClient.parse(self.chat("maybe?"), kind: .chat, context: "t") }
    }
}
