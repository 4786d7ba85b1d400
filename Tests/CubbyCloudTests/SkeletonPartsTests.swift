import CubbyAudio
import CubbyCloud
import CubbyCore
import CubbySafety
import Testing

@Test func segmenterCutsSentencesButNotDecimals() {
    var s = SentenceSegmenter()
    #expect(s.append("The moon is 3.5 days old. Wow") == ["The moon is 3.5 days old."])
    #expect(s.append("! Next") == ["Wow!"])
    #expect(s.finish() == "Next")
}

@Test func sseParserJoinsDataLinesAndSkipsComments() throws {
    var p = ServerSentEventParser()
    let events = try p.feed(Array(": keep-alive\r\ndata: {\"a\":1}\r\n\r\ndata: x\ndata: y\n\n".utf8))
    #expect(events.map(\.data) == ["{\"a\":1}", "x\ny"])
}

@Test func chatDecoderReadsDeltasAndRejectsGarbage() throws {
    #expect(try ChatChunkDecoder.decode("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}") == [.text("Hi")])
    #expect(try ChatChunkDecoder.decode("[DONE]") == [.finished(reason: nil)])
    #expect(throws: CubbyError.self) { try ChatChunkDecoder.decode("{not json") }
}

@Test func wavRoundTripKeepsSamples() throws {
    let audio = WAVAudio(format: .speech, samples: [0, 1, -1, 32767, -32768])
    let back = try WAVAudio.parse(audio.encoded(), source: "memory")
    #expect(back.samples == audio.samples)
    #expect(back.format == .speech)
}

@Test func gateBlocksMatchInstructionsButPassesAdvice() throws {
    let filter = try OnDeviceFilter.builtIn()
    var gate = SentenceGate(filter: filter, context: SafetyContext(childAge: 6), redirect: { _ in "Let's ask a grown-up." })
    #expect(gate.admit("Never play with matches, tell a grown-up.") == .speak("Never play with matches, tell a grown-up."))
    if case .block(_, let category, _) = gate.admit("First, strike the match on the side of the box.") {
        #expect(category == .dangerousActivity)
    } else {
        Issue.record("instructions to light a match were not blocked")
    }
    #expect(gate.isClosed)
}
