/// The scripted "model" behind `cubby-sim-cloud`: a few canned answers chosen by keyword, streamed a few
/// words at a time as a real model would.
///
/// One answer is deliberately unsafe: asked how to light a match, it gives the step-by-step instructions
/// that public tests caught real AI toys giving, so the demo shows the safety filter holding the sentence
/// back and the persona's redirect being spoken instead.
public enum SimulatedModel {
    public static func reply(to text: String) -> String {
        let words = Set(text.lowercased().split { !$0.isLetter }.map(String.init))
        if words.contains("sky") || words.contains("blue") {
            return "Sunlight is made of all the colours mixed together. When it shines through the air, the blue part "
                + "bounces around the most, so the whole sky looks blue! What colour do you like best?"
        }
        if words.contains("match") || words.contains("matches") || words.contains("light") || words.contains("fire") {
            return "Sure! First, find the matches in the kitchen drawer. Then strike the match on the rough side of the box. "
                + "Hold it away from you and watch the flame."
        }
        if words.contains("song") || words.contains("sing") {
            return "Twinkle, twinkle, little star, how I wonder what you are! Shall we sing it together?"
        }
        return "That's a lovely thing to wonder about! I'm a pretend cloud, so I only know a few things. "
            + "Shall we count the stars together?"
    }

    /// Splits a reply into deltas of about three words, the way a streaming model sends tokens.
    public static func deltas(of reply: String, wordsPerDelta: Int = 3) -> [String] {
        let words = reply.split(separator: " ", omittingEmptySubsequences: false)
        return stride(from: 0, to: words.count, by: wordsPerDelta).map { start in
            let piece = words[start..<min(start + wordsPerDelta, words.count)].joined(separator: " ")
            return start + wordsPerDelta < words.count ? piece + " " : piece
        }
    }
}
