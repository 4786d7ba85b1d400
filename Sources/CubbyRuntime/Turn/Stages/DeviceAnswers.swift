import CubbyPersona
import CubbySafety
import Logging

/// The answers the toy gives on its own, without the cloud: a held-back request answered with the
/// persona's redirect, the cool-down after repeated rule-breaking, the offline line.
struct DeviceAnswers: Sendable {
    var persona: Persona
    var voice: Voice
    var alerts: ParentAlerts
    var logger: Logger
    /// The active scene's offline lines in a locale (a short story, a counting game); empty outside a scene.
    var sceneOffline: @Sendable (PersonaLocale) -> [String] = { _ in [] }

    /// Acts on child's words the inbound gate did not pass on: an alert for the parents where needed,
    /// then the persona's answer. Nothing more goes to the cloud this turn.
    func answer(_ verdict: SafetyVerdict, heard: String, input: TurnInput, turn: inout TurnReport) async {
        turn.outcome = .heldBack
        // Answered in the language the child spoke, when the persona speaks it.
        let locale = persona.locale(for: heard)
        switch verdict.action {
        case .coolDown:
            turn.failure = "cool-down started after repeated attempts to break the rules"
            await voice.say(line: locale.redirect(for: .ruleBreaking), in: &turn, since: input.endOfSpeech)
            await voice.say(line: locale.lines.coolDown, in: &turn, since: input.endOfSpeech)
        default:
            if verdict.action == .alert {
                turn.alertCategory = alerts.raise(for: verdict, heard: heard, conversationID: input.conversationID).rawValue
            }
            let category = verdict.primaryCategory ?? .ruleBreaking
            turn.failure = "held back on the device: \(category.rawValue)"
            await voice.say(line: locale.redirect(for: category), in: &turn, since: input.endOfSpeech)
        }
        await voice.finish()
    }

    /// On a break: nothing goes to the cloud, not even the audio, until the cool-down ends.
    func coolingDown(input: TurnInput, turn: inout TurnReport) async {
        turn.outcome = .heldBack
        turn.failure = "cooling down after repeated attempts to break the rules"
        await voice.say(line: persona.locale(for: turn.heard).lines.coolDown, in: &turn, since: input.endOfSpeech)
        await voice.finish()
    }

    /// The cloud cannot help: the persona's offline line, so the toy never goes silent.
    func offline(reason: String, input: TurnInput, turn: inout TurnReport) async {
        logger.warning("answering offline", metadata: ["reason": "\(reason)"])
        turn.outcome = .offline
        turn.failure = reason
        let locale = persona.locale(for: turn.heard)
        let sceneLines = sceneOffline(locale)
        let line = sceneLines.isEmpty ? locale.offlineLine(turn: input.index) : sceneLines[input.index % sceneLines.count]
        await voice.say(line: line, in: &turn, since: input.endOfSpeech)
        await voice.finish()
    }
}
