import CubbyCore
import CubbyMemory
import CubbyPersona
import CubbyRoutines
import CubbySafety
import CubbyScenes
import CubbyTestSupport
import Foundation
import Testing

/// What a child says to ask for a scene or a timer, read on the device in both languages, and the lines
/// the toy answers with.
@Suite struct ChildRequestTests {
    @Test(arguments: [
        ("remind me in ten minutes", TimerRequest.timer(seconds: 600)),
        ("can you set a timer for 5 minutes please", .timer(seconds: 300)),
        ("tell me when twenty five minutes are up", .timer(seconds: 1500)),
        ("wake me up in half an hour", .timer(seconds: 1800)),
        ("set an alarm for thirty seconds", .timer(seconds: 30)),
        ("十分钟后提醒我", .timer(seconds: 600)),
        ("帮我定时5分钟", .timer(seconds: 300)),
        ("二十分钟以后叫我", .timer(seconds: 1200)),
        ("remind me every day to brush my teeth", .recurring),
        ("每天早上七点提醒我起床", .recurring),
        ("set a timer for three hours", .tooLong(seconds: 10_800)),
        ("remind me tomorrow about the party", .withoutLength),
        ("remind me every hour to drink water", .recurring),
        ("每隔十分钟提醒我一次", .recurring),
        ("一个半小时后提醒我", .tooLong(seconds: 5400)),
        ("set a timer for 99999999999999999999 minutes", .tooLong(seconds: 6_000_000)),
        ("let me know in a couple of minutes", .timer(seconds: 120)),
    ])
    func aTimerRequestIsUnderstood(text: String, expected: TimerRequest) {
        #expect(TimerRequest.recognise(text) == expected, "\(text)")
    }

    @Test(arguments: ["tell me when dinosaurs lived", "叫我小明", "告诉我恐龙的故事", "why is the sky blue", "it takes ten minutes to walk to school",
                      "我十分喜欢你", "can you remind me what a volcano is", "what's an alarm", "我们玩一定时间就休息", "告诉我一小时有多少分钟",
                      "tell me about the five minutes before the rocket launched"])
    func everydayWordsAreNotTimers(text: String) {
        #expect(TimerRequest.recognise(text) == nil, "\(text)")
    }

    static let teddy = try! PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/teddy")

    @Test(arguments: [
        ("tell me a story about a dragon", "story"), ("Can you tell me a scary story?", "story"), ("I want to hear another story", "story"),
        ("讲个故事吧", "story"), ("给我讲一个小兔子的故事", "story"), ("let's play a game!", "learning_game"), ("考考我", "learning_game"),
        ("I'm sleepy", "bedtime"), ("我困了", "bedtime"), ("good morning teddy", "morning"),
    ])
    func aSceneIsAskedFor(text: String, scene: String) {
        #expect(SceneCatalog(persona: Self.teddy).requested(in: text) == scene, "\(text)")
    }

    @Test(arguments: ["why is the sky blue", "what is your favourite story character", "the gameboy is broken", "我喜欢恐龙"])
    func otherWordsAskForNoScene(text: String) {
        #expect(SceneCatalog(persona: Self.teddy).requested(in: text) == nil, "\(text)")
    }

    @Test func aPacksOwnSceneIsAskedForByItsPhrases() {
        var persona = Self.teddy
        persona.scenes["pirates"] = PersonaScene(id: "pirates", prompt: "A pirate adventure.", requests: ["let's be pirates", "海盗游戏"])
        let catalog = SceneCatalog(persona: persona)
        #expect(catalog.requested(in: "Let's be pirates, teddy!") == "pirates")
        #expect(catalog.requested(in: "我们玩海盗游戏") == "pirates")
        #expect(catalog.ids.contains("pirates"))
    }

    /// Every line the toy says on its own about scenes and timers passes its own outbound filter, in both languages.
    @Test func theToysOwnSceneAndTimerLinesPassItsFilter() throws {
        let filter = try OnDeviceFilter.builtIn()
        var lines: [String] = []
        for locale in ["en", "zh"] {
            for scene in PersonaScene.builtInSceneIDs {
                let own = BuiltInScenes.lines(scene: scene, locale: locale)
                lines += own.opening + own.closing + own.offline
            }
            lines.append(BuiltInScenes.notNow(locale: locale))
            let timer = TimerLines.builtIn(for: locale)
            lines += [timer.filled(timer.set, seconds: 600, locale: locale), timer.filled(timer.done, seconds: 600, locale: locale),
                      timer.onlyGrownUpsRepeat, timer.tooLong, timer.withoutLength, timer.tooMany]
        }
        for line in lines {
            let verdict = filter.check(line, direction: .outbound, context: SafetyContext(childAge: 5))
            #expect(verdict.decision == .allow, "\(line): \(verdict.categories)")
        }
    }

    @Test func theScoreIsKeptPerDay() throws {
        let database = try CubbyDatabase()
        try GameScore.record(correct: true, database.settings, day: "2026-12-07", at: Date())
        try GameScore.record(correct: false, database.settings, day: "2026-12-07", at: Date())
        #expect(try GameScore.today(database.settings, day: "2026-12-07") == GameScore(day: "2026-12-07", right: 1, asked: 2))
        #expect(try GameScore.today(database.settings, day: "2026-12-08").asked == 0)
        let prompt = try #require(ScenePrompt.instructions(BuiltInScenes.learningGame, childAge: 4,
                                                           score: try GameScore.today(database.settings, day: "2026-12-07")))
        #expect(prompt.contains("counting up to ten") && prompt.contains("1 of 2"))
        #expect(ScenePrompt.instructions(BuiltInScenes.story, childAge: 5)?.contains("Nothing scary at all") == true)
        #expect(ScenePrompt.instructions(BuiltInScenes.chat, childAge: 5) == nil)
    }
}
