import CubbyCloud

/// Keeps a prompt within the model's (and the parent's) budget: the persona and safety preamble and
/// the child's words always go; earlier exchanges are dropped oldest first until the rest fits.
///
/// Tokens are estimated, not counted with the provider's tokenizer (which differs per vendor): about
/// four characters of Latin text or one Han character per token, which errs on the long side for both.
enum PromptBudget {
    static func estimatedTokens(_ text: String) -> Int {
        var han = 0
        var other = 0
        for scalar in text.unicodeScalars {
            if scalar.properties.isIdeographic { han += 1 } else { other += 1 }
        }
        return han + (other + 3) / 4 + 4
    }

    static func fit(system: ChatMessage, history: [[ChatMessage]], tail: [ChatMessage], budget: Int) -> [ChatMessage] {
        var used = ([system] + tail).reduce(0) { $0 + estimatedTokens($1.content) }
        var kept: [[ChatMessage]] = []
        for exchange in history.reversed() {
            let cost = exchange.reduce(0) { $0 + estimatedTokens($1.content) }
            guard used + cost <= budget else { break }
            used += cost
            kept.insert(exchange, at: 0)
        }
        return [system] + kept.flatMap { $0 } + tail
    }
}
