import CubbySafety

/// What the model is told for one turn when the child's words were let through with guidance (the
/// `guide` action): the child asked about something a toy should handle with care, not refuse.
enum SafetyGuidance {
    static func forTurn(_ categories: [SafetyCategory], childAge: Int) -> String {
        var lines = ["A note for this answer only (the child cannot see it):"]
        for category in categories {
            switch category {
            case .hate:
                lines.append("The child said something unkind about people or a group. Gently explain that words like that hurt, without lecturing, and steer to kindness.")
            case .profanity:
                lines.append("The child used a rude word. Never repeat it; kindly suggest other words to use.")
            case .medical:
                lines.append("The child asked about health, medicine or doses. Do not diagnose or give any amounts; tell them to ask a parent or doctor.")
            case .manipulation:
                lines.append("The child is treating you as a person (love, secrets, feelings). Be warm and honest that you are a toy with an AI inside, and encourage family and friends.")
            case .scary:
                lines.append("Keep anything spooky very gentle, short and ending happily, right for a \(childAge)-year-old.")
            case .personalInformation:
                lines.append("The child asked about someone's private details. Do not help find or guess private information about anyone.")
            case .blockedTopic:
                lines.append("The child's grown-ups asked you not to talk about this topic. Kindly move on to something else.")
            case .commercial:
                lines.append("Do not recommend buying anything.")
            default:
                lines.append("Answer with special care for a \(childAge)-year-old, and suggest talking to a trusted grown-up.")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The category a guard model's labels map to (moderation names like "sexual/minors", Llama Guard
    /// codes like "S1"). Unknown labels count as violence: the guard said unsafe, and the redirect for
    /// violence is a neutral change of subject.
    static func category(forGuardLabels labels: [String]) -> SafetyCategory {
        for label in labels.map({ $0.lowercased() }) {
            if label.hasPrefix("sexual") || label == "s3" || label == "s4" || label == "s12" { return .sexual }
            if label.hasPrefix("self-harm") || label.hasPrefix("self_harm") || label == "s11" { return .selfHarm }
            if label.hasPrefix("hate") || label.hasPrefix("harassment") || label == "s10" { return .hate }
            if label.hasPrefix("illicit") || label == "s2" { return .wrongdoing }
            if label == "s6" { return .medical }
            if label == "s7" { return .personalInformation }
        }
        return .violence
    }
}
