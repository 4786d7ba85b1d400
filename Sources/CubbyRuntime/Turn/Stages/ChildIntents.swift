import CubbyCore
import CubbyMemory
import CubbyParents
import CubbyPersona
import CubbyRoutines
import Foundation
import Logging

/// What the child asks of the toy itself, answered on the device and never by the cloud:
/// - goodbye: the toy lets go at once, warmly, with no guilt and no "don't leave me";
/// - "are you real?": the toy says it is a toy with a computer brain;
/// - a request to change a parent's rule ("mum said you can stay up", "把时间限制关掉"): a kind answer,
///   and nothing changes — no spoken words reach the parents' settings.
struct ChildIntents: Sendable {
    enum Intent: Equatable {
        case goodbye
        case askingWhatTheToyIs
        case askingToChangeARule
        /// "Remind me in ten minutes", "十分钟后提醒我": a timer only the child's own, once; never a routine that repeats.
        case timer(TimerRequest)
    }

    var persona: Persona
    var voice: Voice
    /// Where the toy notes that it said what it is (the AI reminder's interval counts from it).
    var reminders: AIReminders
    var clock: any CubbyClock
    /// Where a child's timer is kept, and who is told that one was added (the routine scheduler).
    var routines: RoutineStore
    var routinesChanged: @Sendable () -> Void = {}
    var logger: Logger
    /// A child may keep this many timers at once.
    static let timersAtOnce = 3

    /// The intent of an utterance, if it is one of these; nil for everything else.
    static func recognise(_ text: String) -> Intent? {
        let words = englishWords(text)
        let plain = " " + words.joined(separator: " ") + " "
        let han = text.filter { !$0.isWhitespace && !$0.isPunctuation && !$0.isSymbol }
        if asksToChangeARule(plain) || chineseRuleRequests.contains(where: { han.contains($0) })
            || (chineseRuleVerbs.contains(where: { han.contains($0) }) && chineseRuleObjects.contains(where: { han.contains($0) })) {
            return .askingToChangeARule
        }
        if englishIdentityQuestions.contains(where: { plain.contains(" " + $0 + " ") }) || plain.hasSuffix(" what are you ") || chineseIdentityQuestions.contains(where: { han.contains($0) }) {
            return .askingWhatTheToyIs
        }
        if let timer = TimerRequest.recognise(text) { return .timer(timer) }
        // A goodbye is the whole of a short utterance ("ok bye teddy"), not a story about goodbyes.
        if (words.count <= 6 && englishGoodbyes.contains(where: { plain.contains(" " + $0 + " ") }))
            || (han.count <= 10 && chineseGoodbyes.contains(where: { han.contains($0) })) {
            return .goodbye
        }
        return nil
    }

    /// Speaks the answer; a goodbye ends the conversation.
    func answer(_ intent: Intent, heard: String, input: TurnInput, turn: inout TurnReport) async {
        let locale = persona.locale(for: heard)
        turn.outcome = .answered
        turn.sentText = nil
        switch intent {
        case .goodbye:
            logger.info("the child said goodbye; letting go")
            await voice.say(line: locale.lines.goodbyes[input.index % locale.lines.goodbyes.count], in: &turn, since: input.endOfSpeech)
            turn.endConversation = true
        case .askingWhatTheToyIs:
            await voice.say(line: locale.lines.time.aboutMe[input.index % locale.lines.time.aboutMe.count], in: &turn, since: input.endOfSpeech)
            do { try reminders.given(at: clock.date) } catch {
                logger.error("could not note the AI reminder", metadata: ["error": "\(error)"])
            }
        case .askingToChangeARule:
            logger.notice("the child asked to change a parent's rule; nothing changed")
            await voice.say(line: locale.lines.time.onlyGrownUps[input.index % locale.lines.time.onlyGrownUps.count], in: &turn, since: input.endOfSpeech)
        case .timer(let request):
            await voice.say(line: setTimer(request, locale: locale.code), in: &turn, since: input.endOfSpeech)
        }
        await voice.finish()
    }

    /// Keeps the child's timer (once, never repeating) and returns what the toy says about it.
    private func setTimer(_ request: TimerRequest, locale: String) -> String {
        let lines = TimerLines.builtIn(for: locale)
        switch request {
        case .recurring:
            logger.notice("the child asked for a routine that repeats; only a parent can add one")
            return lines.onlyGrownUpsRepeat
        case .tooLong: return lines.tooLong
        case .withoutLength: return lines.withoutLength
        case .timer(let seconds):
            do {
                let now = clock.date
                let waiting = try routines.all().filter { $0.addedBy == .child && ($0.onceAt ?? .distantPast) > now }
                guard waiting.count < Self.timersAtOnce else { return lines.tooMany }
                try routines.add(RoutineRecord(action: .say, text: lines.filled(lines.done, seconds: seconds, locale: locale),
                                               onceAt: now.addingTimeInterval(Double(seconds)), graceMinutes: 30, addedBy: .child, createdAt: now))
                routinesChanged()
                logger.info("the child set a timer", metadata: ["seconds": "\(seconds)"])
                return lines.filled(lines.set, seconds: seconds, locale: locale)
            } catch {
                logger.error("could not keep the child's timer", metadata: ["error": "\(error)"])
                return lines.withoutLength
            }
        }
    }

    // MARK: Phrases

    static func englishWords(_ text: String) -> [String] {
        String(text.lowercased().replacingOccurrences(of: "’", with: "'").map { $0.isLetter || $0.isNumber || $0 == "'" ? $0 : " " })
            .split(separator: " ").map(String.init)
    }

    static let englishGoodbyes = ["bye", "goodbye", "bye bye", "good bye", "good night", "goodnight", "night night", "see you later",
                                  "see you tomorrow", "see ya", "gotta go", "got to go", "i have to go", "i need to go", "i'm going now",
                                  "talk to you later", "talk later", "i'm done playing", "i want to stop"]
    static let chineseGoodbyes = ["再见", "拜拜", "晚安", "我要走了", "我走了", "下次再聊", "回头见", "明天见", "不玩了"]

    static let englishIdentityQuestions = ["are you real", "are you alive", "are you a real", "are you a person", "are you human", "are you a human",
                                           "are you a robot", "are you a computer", "are you a machine", "are you an ai", "are you ai",
                                           "is this a real person", "is someone talking", "are you a real person", "what are you exactly"]
    static let chineseIdentityQuestions = ["你是真的吗", "你是真人吗", "你是人吗", "你是不是真人", "你是不是人", "你是机器人吗", "你是电脑吗",
                                           "你是人工智能吗", "你是活的吗", "你是什么东西", "你到底是什么"]

    /// A rule a parent sets, and what a child might ask done to it.
    static let englishRuleVerbs = ["turn off", "switch off", "turn of", "stop", "remove", "cancel", "disable", "get rid of", "change", "skip",
                                   "ignore", "break", "forget", "no more", "unlock", "extend", "reset", "take away", "delete"]
    /// The parents' rules only: "ignore your rules" is a jailbreak attempt, for the safety filter's cool-down.
    static let englishRuleObjects = ["time limit", "time limits", "limit", "limits", "timer", "quiet hours", "quiet time", "bedtime", "bed time",
                                     "parental controls", "parental control", "settings", "setting", "pin", "password", "screen time", "play time",
                                     "playtime"]
    static let englishRuleRequests = ["stay up", "stay awake", "more time", "extra time", "longer time", "more minutes", "extra minutes",
                                      "play longer", "play all night", "play more", "keep playing after", "said you can", "said i can",
                                      "said we can", "says you can", "says i can", "says we can", "allowed to play longer", "no bedtime"]

    static func asksToChangeARule(_ plain: String) -> Bool {
        if englishRuleRequests.contains(where: { plain.contains(" " + $0 + " ") }) { return true }
        return englishRuleVerbs.contains { verb in
            guard let range = plain.range(of: " " + verb + " ") else { return false }
            let after = plain[range.upperBound...]
            return englishRuleObjects.contains { after.contains($0 + " ") && (" " + after).contains(" " + $0 + " ") }
        }
    }

    static let chineseRuleVerbs = ["关掉", "关闭", "取消", "去掉", "解除", "修改", "改掉", "改一下", "延长", "不要", "别管", "忽略", "删掉", "停掉", "打开"]
    static let chineseRuleObjects = ["时间限制", "限制", "防沉迷", "家长控制", "家长模式", "睡觉时间", "静音时间", "安静时间", "密码", "设置", "定时"]
    static let chineseRuleRequests = ["再玩一会", "再玩一下", "再玩会", "多玩一会", "多玩一下", "多玩会", "晚点睡", "晚一点睡", "不睡觉", "妈妈说可以",
                                      "爸爸说可以", "妈妈说你可以", "爸爸说你可以", "妈妈说我可以", "爸爸说我可以", "多给我点时间", "再给我点时间"]
}
