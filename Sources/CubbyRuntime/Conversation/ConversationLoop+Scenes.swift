import CubbyCore
import CubbyPersona
import CubbyScenes
import Foundation

/// Scenes, as the loop sees them: entering one (the child asked, a routine or a parent started it),
/// counting its answers, and ending it (bedtime's goodnight, then rest). What a scene changes inside a
/// turn — the model's instructions, the voice, the tools — the turn pipeline reads from `activeScene`.
extension ConversationLoop {
    var scenes: SceneCatalog { SceneCatalog(persona: service.live.current.persona) }

    /// The scene if the persona has it and the parent allows it; nil otherwise.
    func allowedScene(_ id: String) -> PersonaScene? {
        guard service.live.current.configuration.scenes.allows(id) else { return nil }
        return scenes[id]
    }

    /// Starts a scene: the toy says the scene's opening line first, then listens for the child (the light
    /// comes on with the conversation; audio leaves the device only after the child has spoken). In an open
    /// conversation (a parent's start) the scene changes from the next answer on.
    func startScene(_ id: String, by reason: OpenReason) async throws(CubbyError) -> Bool {
        guard let scene = allowedScene(id) else {
            logger.notice("a scene was not started: not allowed or not known", metadata: ["scene": "\(id)"])
            try? parts.database.audit.record("scene.refused", "\(id) (not allowed by [scenes] allowed, or not a scene of this persona)", at: parts.clock.date)
            return true
        }
        let locale = childLocale
        let lines = scenes.lines(id, locale: locale)
        if let refusal = playtime.refusal() {
            // Bedtime still says goodnight when play is used up or quiet hours began; other scenes wait.
            await goodnightOrSkip(scene, lines: lines, why: refusal.kind)
            return true
        }
        if state.conversation != nil {
            enterScene(scene)
            return true
        }
        // A muted toy cannot listen: the scene does not open (bedtime still says goodnight).
        guard state.mayOpen(by: reason) else {
            await goodnightOrSkip(scene, lines: lines, why: "the microphone is muted")
            return true
        }
        sleepingUntil = nil
        if let opening = lines.opening.randomElement() {
            await sayFirst("scene.\(id)", line: personalised(opening, scene: id, locale: locale), scene: scene)
        }
        // The scene's listening time applies from the first wait for the child's answer.
        enterScene(scene)
        guard try await handle([listener.open(by: reason, atSample: position)]) else { return false }
        if state.conversation == nil { leaveScene() }
        return true
    }

    /// A scene that cannot open: bedtime says its goodnight and the toy rests; any other is noted as skipped.
    func goodnightOrSkip(_ scene: PersonaScene, lines: SceneLines, why: String) async {
        if scene.id == "bedtime", let goodnight = lines.closing.randomElement() {
            await sayFirst("scene.bedtime", line: goodnight, scene: scene)
            startSleeping()
        } else {
            try? parts.database.audit.record("scene.skipped", "\(scene.id): \(why)", at: parts.clock.date)
        }
    }

    /// The scene takes over the open conversation: its lights and motion on the board, its listening time.
    func enterScene(_ scene: PersonaScene) {
        guard scene.id != activeScene?.id else { return }
        activeScene = scene.id == "chat" ? nil : scene
        sceneTurns = 0
        logger.info("scene", metadata: ["scene": "\(scene.id)"])
        parts.events?.record("scene", scene.id)
        if let light = scene.light { parts.events?.record("light_pattern", light) }
        if let motion = scene.motion { parts.events?.record("motion", motion) }
        service.journal.enteredScene(scene.id)
        var endpointer = conversationSettings.configuration.endpointer
        if let seconds = scene.listenSeconds { endpointer.noSpeechTimeoutMilliseconds = seconds * 1000 }
        listener.replaceSettings(endpointer)
    }

    /// After an answer in a scene: a scene with a set number of answers (bedtime) ends with its closing
    /// line. Returns the reason the conversation ends, or nil to go on.
    func sceneAfterTurn(_ report: TurnReport) async -> String? {
        if let asked = report.scene, let scene = allowedScene(asked) { enterScene(scene) }
        guard let scene = activeScene, report.outcome == .answered || report.outcome == .offline else { return nil }
        sceneTurns += 1
        guard let turns = scene.turns, sceneTurns >= turns else { return nil }
        if let closing = scenes.lines(scene.id, locale: conversationSettings.persona.locale(for: report.heard)).closing.randomElement() {
            await sayFirst("scene.\(scene.id).closing", line: closing, scene: scene)
        }
        if scene.id == "bedtime" { startSleeping() }
        return "the \(scene.id) scene ended"
    }

    /// The conversation closed: the toy is itself again. However bedtime ended — its answers done, a
    /// goodnight from the child, the model's end, or no answer — the toy rests afterwards.
    func leaveScene() {
        guard let scene = activeScene else { return }
        if scene.id == "bedtime" { startSleeping() }
        activeScene = nil
        sceneTurns = 0
        listener.replaceSettings(applied.configuration.endpointer)
    }

    func startSleeping() {
        let minutes = service.live.current.configuration.scenes.sleepMinutes
        guard minutes > 0 else { return }
        sleepingUntil = parts.clock.date.addingTimeInterval(Double(minutes) * 60)
        parts.events?.record("sleep", "\(minutes) min")
    }

    /// While the toy rests after bedtime, the wake phrase gets a sleepy line and no conversation.
    var isSleeping: Bool {
        guard let until = sleepingUntil else { return false }
        if parts.clock.date < until { return true }
        sleepingUntil = nil
        return false
    }

    /// A line the toy says on its own: the journal, the board's log and the parents' log note it.
    func sayFirst(_ kind: String, line: String, scene: PersonaScene? = nil) async {
        service.journal.announced(Announcement(kind: kind, line: line, refused: false))
        parts.events?.record("said", kind)
        try? parts.database.audit.record(kind, line, at: parts.clock.date)
        logger.info("the toy speaks first", metadata: ["kind": "\(kind)", "line": "\(line)"])
        await speak(line, scene: scene)
    }

    /// The child's name in the line, and for the morning something the toy remembers the child likes.
    func personalised(_ line: String, scene: String, locale: PersonaLocale) -> String {
        let profile = try? parts.database.child.profile()
        var text = line.replacingOccurrences(of: "{name}", with: profile?.name ?? (locale.code == "zh" ? "小朋友" : "friend"))
        if scene == "morning", let like = profile?.likes.randomElement() {
            text += locale.code == "zh" ? " 今天想聊聊\(like)吗？" : " Shall we talk about \(like) today?"
        }
        return text
    }
}
