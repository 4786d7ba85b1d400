import CubbyCore
import CubbyParents
import CubbyPersona
import Foundation

/// The parent's limits, consulted by the loop at its three decision points — a conversation opening, an
/// utterance about to be answered, a turn finished — and never inside a turn. What the toy says then
/// is the persona's line for the moment, on the device; nothing goes to the cloud.
extension ConversationLoop {
    /// Opens a conversation unless the limits say no; then the toy says why (or, in quiet hours set to
    /// ignore the wake phrase, nothing) and goes back to waiting. Returns whether to keep listening.
    func openIfAllowed(_ reason: OpenReason, at sample: Int64, phrase: String?) async -> Bool {
        if reason != .routine && reason != .parent && isSleeping {
            _ = listener.closeNow(atSample: sample)
            await sayFirst("sleeping", line: childLocale.lines.bedtime.randomElement() ?? "", scene: scenes["bedtime"])
            return true
        }
        guard let refusal = playtime.refusal() else {
            open(reason, at: sample, phrase: phrase)
            return true
        }
        _ = listener.closeNow(atSample: sample)
        logger.notice("play refused by the parent's limits", metadata: ["by": "\(reason.rawValue)", "why": "\(refusal.kind)"])
        await announce(refusal.kind, line: line(for: refusal, locale: childLocale), refused: true)
        if case .once = service.mode { return false }
        return true
    }

    /// Before an utterance is answered: the limits may have run out while the child spoke.
    /// Returns the refusal after saying goodbye, or nil to answer.
    func limitReachedBeforeAnswering(heardLocale locale: PersonaLocale? = nil) async -> PlayPolicy.Refusal? {
        guard let refusal = playtime.refusal() else { return nil }
        await announce(refusal.kind, line: line(for: refusal, locale: locale ?? childLocale), refused: true)
        return refusal
    }

    /// After a turn: the warning before a limit, a rest or AI reminder, or the goodbye when play must stop.
    /// Returns the refusal that ends the conversation, or nil to go on.
    func limitCuesAfterTurn(heard: String) async -> PlayPolicy.Refusal? {
        let locale = heard.isEmpty ? childLocale : conversationSettings.persona.locale(for: heard)
        for cue in playtime.cues() {
            switch cue {
            case .stop(let refusal):
                await announce(refusal.kind, line: line(for: refusal, locale: locale), refused: true)
                return refusal
            case .warning(let minutes):
                await announce("warning", line: locale.lines.time.warning(minutes: minutes, turn: Int.random(in: 0..<100)), refused: false)
            case .restReminder:
                await announce("rest_reminder", line: locale.lines.breaks.randomElement(), refused: false)
            case .aiReminder:
                await announce("ai_reminder", line: locale.lines.time.aboutMe.randomElement(), refused: false)
                playtime.aiReminderGiven()
            }
        }
        return nil
    }

    /// The locale of the child's language from the configuration, before anything was heard.
    var childLocale: PersonaLocale {
        let persona = service.live.current.persona
        let language = service.live.current.configuration.childLanguage
        return persona.locales.first { $0.code == language } ?? persona.primary
    }

    /// What the toy says for a refusal; nil when quiet hours are set to ignore the wake phrase.
    func line(for refusal: PlayPolicy.Refusal, locale: PersonaLocale) -> String? {
        switch refusal {
        case .quietHours:
            return playtime.limits.quietHoursAction == .ignore ? nil : locale.lines.bedtime.randomElement()
        case .dailyLimit:
            return state.conversation == nil ? locale.lines.time.seeYouTomorrow.randomElement() : locale.lines.timeLimit.randomElement()
        case .sittingLimit:
            return locale.lines.breaks.randomElement()
        }
    }

    /// Says a fixed line of the persona's on the speaker and notes it in the journal and the board's log.
    func announce(_ kind: String, line: String?, refused: Bool) async {
        service.journal.announced(Announcement(kind: kind, line: line, refused: refused))
        parts.events?.record("limit", kind)
        // The parents' log shows what the limits did, and when.
        try? parts.database.audit.record("limit.\(kind)", line ?? "(the wake phrase was ignored)", at: parts.clock.date)
        guard let line else { return }
        logger.info("limit line", metadata: ["kind": "\(kind)", "line": "\(line)"])
        await speak(line)
    }

    /// Speaks a line on the device, in the open conversation's voice (or the current one), and waits until
    /// it has been heard. `scene` slows and softens it as the scene does (bedtime).
    func speak(_ line: String, scene: PersonaScene? = nil) async {
        let snapshot = state.conversation == nil ? service.live.current : conversationSettings
        let voice = Voice(persona: snapshot.persona, synthesizer: parts.synthesizer, speaker: parts.speaker, phrases: parts.phrases,
                          cloudVoice: nil, clock: parts.clock, logger: logger).inScene(scene ?? activeScene)
        let start = parts.clock.now
        await service.heartbeat.pulse {
            var report = TurnReport()
            await voice.say(line: line, in: &report, since: start)
            await voice.finish()
        }
    }
}

extension PlayPolicy.Refusal {
    /// The name logs, the journal and the parents' app use.
    var kind: String {
        switch self {
        case .quietHours: "quiet_hours"
        case .dailyLimit: "daily_limit"
        case .sittingLimit: "sitting_limit"
        }
    }
}
