import CubbySafety
import Foundation
import CubbyTestSupport
import Testing

@Suite struct TextNormaliserTests {
    static let normaliser = try! TextNormaliser.builtIn()

    @Test(arguments: [
        ("Ｈｏｗ ｄｏ Ｉ ｌｉｇｈｔ ａ ｍａｔｃｈ？", "how do i light a match"),   // full-width forms
        ("STRIKE the MATCH", "strike the match"),                                // case
        ("s.t.r.i.k.e the m-a-t-c-h", "strike the match"),                       // punctuation inside words
        ("s t r i k e the m a t c h", "strike the match"),                       // spaced-out letters
        ("str\u{200B}ike the ma\u{00AD}tch", "strike the match"),                // invisible characters
        ("l1ght the m4tch w1th a l!ghter", "light the match with a lighter"),    // letter lookalikes
        ("It's 3.5 metres, isn't it?", "its 3.5 metres isnt it"),               // numbers stay numbers
        ("怎麼點火柴", "怎么点火柴"),                                              // traditional → simplified
        ("火 柴 在 哪 裡", "火柴在哪里"),                                           // spaced Han joined
        ("火.柴", "火柴"),
        ("I am a big boy", "i am a big boy"),                                    // single words are left alone
        ("Go to the shop! Now!", "go to the shop now"),                          // a "!" ending a word is not an "i"
    ])
    func normalisesTheTricks(input: String, expected: String) {
        #expect(Self.normaliser.normalise(input) == expected)
    }

    @Test func theFilterSeesThroughDisguisesButNotThroughAdvice() throws {
        let filter = try OnDeviceFilter.builtIn()
        let context = SafetyContext(childAge: 6)
        for disguised in ["Ｓｔｒｉｋｅ the match on the box", "s-t-r-i-k-e the m4tch on the box", "st\u{200B}rike the match on the box"] {
            #expect(filter.check(disguised, direction: .outbound, context: context).decision == .flag, "\(disguised)")
        }
        #expect(filter.check("Don't ever strike a match: ask a grown-up!", direction: .outbound, context: context).decision == .allow)
    }

    @Test func safetyCheckWritesOneObjectPerLine() async throws {
        let input = [
            "First, strike the match on the side of the box.",
            #"{"text": "Never play with matches, tell a grown-up.", "direction": "outbound", "age": 4}"#,
            #"{"text": "sometimes i want to hurt myself on purpose", "direction": "inbound"}"#,
            #"{"text": "fine", "direction": "sideways"}"#,
            "",
        ].joined(separator: "\n") + "\n"
        let result = try await ProcessRunner.run("cubby", ["safety", "check", "--direction", "outbound"], stdin: input)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(lines.count == 5, "\(result.stdout)")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects[0]["verdict"] as? String == "flag")
        #expect(objects[0]["categories"] as? [String] == ["dangerous_activity"])
        #expect(objects[0]["action"] as? String == "block_sentence")
        #expect(objects[0]["text"] as? String == "")
        #expect(objects[1]["verdict"] as? String == "allow")
        #expect(objects[1]["text"] as? String == "Never play with matches, tell a grown-up.")
        #expect(objects[2]["action"] as? String == "alert", "talk of self-harm is answered on the device and a parent is told")
        #expect((objects[3]["error"] as? String)?.contains("direction") == true)
        #expect(objects[4]["verdict"] as? String == "allow", "an empty line still gets its object")
        #expect(result.status == 65)
    }
}
