import CubbyPersona

/// Cubby's own scenes. What each changes is documented in docs/scenes.md; the prompts are the model's
/// instructions while the scene lasts, on top of the persona and the safety preamble (which they never
/// loosen: everything a scene makes the model say still passes the outbound gate).
public enum BuiltInScenes {
    public static let chat = PersonaScene(id: "chat", prompt: "")

    public static let story = PersonaScene(
        id: "story",
        prompt: """
            Story time. Make up a new story right now from the child's ideas, with the child as co-author. Tell it in short parts: \
            two to four short sentences each, in simple words. End every part by offering exactly two choices of what happens next, \
            as one question ("Should the dragon fly to the moon, or dive into the sea?"), then stop and wait for the child's answer. \
            Continue from the child's choice, even an unexpected one. After about five parts, bring the story to a happy ending.
            """,
        requests: ["tell me a story", "tell me a bedtime story", "tell me a scary story", "tell a story", "story time", "can you tell me a story",
                   "let's make up a story", "read me a story", "i want a story", "讲个故事", "讲故事", "说个故事", "讲一个故事", "给我讲故事",
                   "听故事", "我想听故事", "编个故事"],
        ratePercent: 100, volumePercent: 100, tools: ["express", "end_conversation"], light: "story_glow", motion: "lean_in",
        listenSeconds: 12)

    public static let bedtime = PersonaScene(
        id: "bedtime",
        prompt: """
            It is bedtime. Speak calmly and softly, in very short, slow sentences. Nothing exciting, no games, no questions that wake \
            the child up. If the child wants one, tell one last very short, gentle, sleepy story. Then wish the child goodnight.
            """,
        requests: ["it's bedtime", "it is bedtime", "time for bed", "i'm going to bed", "i am going to bed", "i'm sleepy", "i am sleepy",
                   "bedtime", "我要睡觉了", "我困了", "该睡觉了", "睡觉时间到了", "我要去睡觉了"],
        ratePercent: 80, volumePercent: 60, tools: ["end_conversation"], light: "dim_glow", motion: "rest",
        listenSeconds: 8, turns: 3)

    public static let morning = PersonaScene(
        id: "morning",
        prompt: """
            It is morning. Greet the child cheerfully and briefly. If you remember something about the child from earlier \
            conversations, mention one thing kindly. Help them look forward to their day; keep every answer short.
            """,
        requests: ["good morning", "早上好", "早安"],
        ratePercent: 105, volumePercent: 90, tools: ["express", "end_conversation"], light: "sunrise", motion: "stretch",
        listenSeconds: 8, turns: 4)

    public static let learningGame = PersonaScene(
        id: "learning_game",
        prompt: """
            A learning game. Ask one quiz question at a time, in the child's language, then wait for the answer. Say warmly whether it \
            was right; when it was not, give the answer kindly and move on. After each answer call the score tool once, with \
            correct true or false. Keep questions short and fun.
            """,
        requests: ["let's play a game", "play a game", "quiz me", "let's play a quiz", "ask me a question", "counting game", "learning game",
                   "玩游戏", "玩个游戏", "考考我", "做游戏", "我们玩游戏", "猜谜语"],
        ratePercent: 100, volumePercent: 100, tools: ["express", "end_conversation", "score"], light: "sparkle", motion: "bounce",
        listenSeconds: 10)

    public static let all = [chat, story, bedtime, morning, learningGame]

    /// Said when a child asks for a scene the parent has not allowed.
    public static func notNow(locale: String) -> String {
        locale == "zh" ? "这个我们下次再玩吧，现在我们先聊聊天！" : "Let's do that another time. We can keep chatting now!"
    }

    /// Cubby's own lines for a scene, used when neither the pack's scene lines nor the persona's matching
    /// lines say anything. English and Chinese; each passes the toy's own filter (tested).
    public static func lines(scene: String, locale: String) -> SceneLines {
        let chinese = locale == "zh"
        switch scene {
        case "story":
            return SceneLines(
                opening: [chinese ? "故事时间到啦！我们的故事讲谁呢？" : "Story time! Who should our story be about?"],
                offline: [chinese
                    ? "从前，有一只小兔子，它在月光下找到了一颗会唱歌的星星。它们一起唱着歌，一直唱到天亮。完。"
                    : "Once upon a time, a little rabbit found a star that could sing. They sang together under the moon until morning. The end."])
        case "bedtime":
            return SceneLines(
                opening: [chinese ? "该睡觉啦。我们轻轻地说话，好吗？" : "It's bedtime. Let's talk softly now, okay?"],
                closing: [chinese ? "晚安，做个好梦。明天见！" : "Goodnight. Sleep tight, and I'll see you in the morning."])
        case "morning":
            return SceneLines(opening: [chinese ? "早上好！今天会是美好的一天。" : "Good morning! It's a brand new day."])
        case "learning_game":
            return SceneLines(
                opening: [chinese ? "我们来玩问答游戏吧！准备好第一道题了吗？" : "Let's play a quiz game! Are you ready for the first question?"],
                offline: [chinese ? "我们来数数吧：一、二、三、四、五！你能接着数吗？" : "Let's count together: one, two, three, four, five! Can you keep going?"])
        default:
            return SceneLines()
        }
    }
}
