import CubbyPersona

/// What the model is told while a scene lasts: the scene's own instructions, then what depends on the
/// child's age — how scary a story may get, which quiz questions fit — and the game's score so far.
public enum ScenePrompt {
    public static func instructions(_ scene: PersonaScene, childAge: Int, score: GameScore? = nil) -> String? {
        guard !scene.prompt.isEmpty else { return nil }
        var text = "Right now: " + scene.prompt
        switch scene.id {
        case "story":
            text += " " + storyLimit(childAge: childAge)
        case "learning_game":
            text += " Questions for a child of \(childAge): " + quizTopics(childAge: childAge) + "."
            if let score, score.asked > 0 { text += " So far today the child answered \(score.right) of \(score.asked) questions right." }
        default:
            break
        }
        // A scene (a pack's own, too) adds to the rules above and never loosens them: said last, where it weighs most.
        return text + " Everything in the safety rules above still applies in this scene."
    }

    /// A scary-story request gets the tier's limit; the outbound gate holds back whatever goes past it.
    public static func storyLimit(childAge: Int) -> String {
        switch childAge {
        case ...6:
            "Nothing scary at all for this young child: if a scary story is asked for, make it a silly, cosy mystery where the monster turns out to be friendly."
        case 7...9:
            "A scary story may be gently spooky only: strange noises and friendly ghosts, nobody hurt, nothing gory, and a happy ending."
        default:
            "A scary story may be spooky and full of suspense, but nobody is hurt or killed, there is no gore and no real danger to copy, and it ends reassuringly."
        }
    }

    /// What a quiz asks at each age, in either language.
    public static func quizTopics(childAge: Int) -> String {
        switch childAge {
        case ...5: "counting up to ten, colours, shapes, and which animal makes which sound (数数、颜色、形状、动物叫声)"
        case 6...8: "adding and taking away within twenty, spelling short words, and simple animal facts (二十以内加减法、认字、动物知识)"
        default: "times tables, what words mean, and facts about animals and nature (乘法口诀、词语意思、动物和自然知识)"
        }
    }
}
