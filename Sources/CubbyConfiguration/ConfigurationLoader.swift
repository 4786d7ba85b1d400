import CubbyAudio
import CubbyCore
import Foundation
import Logging

/// Reads `cubbyd.toml`, the environment and secret files into a `DaemonConfiguration`.
///
/// Relative paths in the file resolve against the file's folder, so a configuration and the board and
/// persona beside it can move together. `CUBBY_CLOUD_URL` and `CUBBY_CLOUD_KEY` override the file; the
/// key may also come from `api_key_file`, so it never has to sit in a world-readable config.
public enum ConfigurationLoader {
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(CubbyError) -> DaemonConfiguration {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CubbyError(.invalidConfiguration,
                             "configuration file does not exist (pass --config PATH; Hardware/sim/cubbyd.toml is an example)",
                             context: path)
        }
        let root = try TOMLSection.load(contentsOf: path)
        return try decode(root, folder: (path as NSString).deletingLastPathComponent, environment: environment)
    }

    public static func decode(_ root: TOMLSection, folder: String, environment: [String: String]) throws(CubbyError) -> DaemonConfiguration {
        let device = try root.section("device")
        let board = ConfigPath.resolve(try device.string("board", default: "/usr/share/cubby/hardware/sim"), against: folder)
        let persona = ConfigPath.resolve(try device.string("persona", default: "/usr/share/cubby/personas/teddy"), against: folder)
        let dataDirectory = ConfigPath.resolve(try device.string("data_dir", default: "/var/lib/cubby"), against: folder)
        let muted = try device.boolean("muted", default: false)
        let maxVolume = try device.integer("max_volume", default: 80, in: 0...100)

        let child = try root.section("child")
        let age = try child.integer("age", default: 6, in: 3...12)
        let name = try child.string("name").flatMap { $0.trimmingSpaces().isEmpty ? nil : $0 }
        guard (name?.count ?? 0) <= 60 else { throw child.error("name", "must be at most 60 characters") }
        let language = try child.string("language").flatMap { $0.isEmpty ? nil : $0 }
        if let language, !["en", "zh"].contains(language) { throw child.error("language", "must be \"en\" or \"zh\" (got \"\(language.prefix(20))\")") }

        let wake = try root.section("wake")
        let sensitivity = try wake.number("sensitivity", in: 0...1)
        let bargeIn = try wake.boolean("barge_in", default: true)
        let verifyNearMisses = try wake.boolean("verify_near_misses", default: true)

        let conversation = try root.section("conversation")
        var endpointer = EndpointerSettings()
        endpointer.endSilenceMilliseconds = try conversation.integer("end_silence_ms", default: 600, in: 200...5_000)
        endpointer.maximumUtteranceMilliseconds = try conversation.integer("max_utterance_ms", default: 15_000, in: 1_000...60_000)
        endpointer.noSpeechTimeoutMilliseconds = try conversation.integer("no_speech_timeout_ms", default: 5_000, in: 1_000...60_000)
        endpointer.speechThresholdDBFS = try conversation.number("speech_threshold_dbfs", default: -45, in: -90...0)
        let historyTurns = try conversation.integer("history_turns", default: 6, in: 0...50)
        let promptTokenBudget = try conversation.integer("prompt_token_budget", default: 3_000, in: 500...100_000)
        let followUp = try conversation.boolean("follow_up", default: true)

        let cloudTable = try root.section("cloud")
        let provider = try cloudTable.choice("provider", of: ["openai", "xiaozhi"], default: "openai")
        // Read either way, so a mistyped key is reported whichever provider is chosen; a turn never mixes them.
        let openAI = try decodeCloud(cloudTable, folder: folder, environment: environment)
        let cloud = provider == "openai" ? openAI : nil
        let xiaozhi = try decodeXiaozhi(try root.section("xiaozhi"), chosen: provider == "xiaozhi", folder: folder, environment: environment)
        let safety = try decodeSafety(try root.section("safety"), folder: folder, environment: environment)
        let speech = try decodeSpeech(try root.section("speech"), cloud: openAI, folder: folder, environment: environment)

        let personas = try root.section("personas")
        var packs = PersonaPackSettings(dataDirectory: dataDirectory)
        packs.trustedKeys = ConfigPath.resolve(try personas.string("trusted_keys", default: packs.trustedKeys), against: folder)
        packs.developerMode = try personas.boolean("developer_mode", default: false)
        packs.inbox = ConfigPath.resolve(try personas.string("inbox", default: packs.inbox), against: folder)
        packs.inboxPollMilliseconds = try personas.integer("inbox_poll_ms", default: packs.inboxPollMilliseconds, in: 200...600_000)

        let privacy = try root.section("privacy")
        let transcriptDays = try privacy.integer("transcript_days", default: 30, in: 1...3_650)

        let control = try root.section("control")
        // The default sits in the data folder, which is already resolved: resolving it again would double a relative path.
        let socket = try control.string("socket").map { ConfigPath.resolve($0, against: folder) }
            ?? (dataDirectory as NSString).appendingPathComponent("control.sock")
        guard socket.utf8.count < 108 else { throw control.error("socket", "\"\(socket)\" is longer than a Unix socket path may be (107 bytes)") }

        let limits = try decodeLimits(try root.section("limits"))
        let parents = try decodeParents(try root.section("parents"))
        let scenes = try decodeScenes(try root.section("scenes"))

        let log = try root.section("log")
        let levelName = try log.choice("level", of: ["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")

        try root.finish()
        var configuration = DaemonConfiguration(
            sourcePath: root.file, boardFolder: board, personaFolder: persona, dataDirectory: dataDirectory,
            childAge: age, childName: name, wakeSensitivity: sensitivity, endpointer: endpointer,
            historyTurns: historyTurns, followUp: followUp, cloud: cloud,
            logLevel: Logger.Level(rawValue: levelName) ?? .info)
        configuration.muted = muted
        configuration.maxVolume = maxVolume
        configuration.promptTokenBudget = promptTokenBudget
        configuration.xiaozhi = xiaozhi
        configuration.bargeIn = bargeIn
        configuration.verifyNearMisses = verifyNearMisses
        configuration.safety = safety
        configuration.speech = speech
        configuration.personaPacks = packs
        configuration.controlSocket = socket
        configuration.transcriptDays = transcriptDays
        configuration.limits = limits
        configuration.parents = parents
        configuration.scenes = scenes
        configuration.childLanguage = language
        return configuration
    }

    /// A key or token: inline in the file (`inline`, when the section allows it), or in a file of its own
    /// (`file`, so it need not sit in a world-readable config), and overridden by `variable` in the
    /// environment. Setting both the inline value and the file is an error.
    private static func secret(_ table: TOMLSection, inline: String? = nil, file: String, variable: String? = nil, folder: String,
                               environment: [String: String]) throws(CubbyError) -> String? {
        let inlineValue = try inline.map { key throws(CubbyError) in try table.string(key) } ?? nil
        let path = try table.string(file).map { ConfigPath.resolve($0, against: folder) }
        if let inline, inlineValue != nil && path != nil { throw table.error(file, "set either \(inline) or \(file), not both") }
        var value = inlineValue
        if let path {
            do { value = try FileBytes.readText(at: path).trimmingSpaces() } catch {
                throw table.error(file, "cannot read \(path): \(error.message)")
            }
        }
        if let variable, let fromEnvironment = environment[variable], !fromEnvironment.isEmpty { value = fromEnvironment }
        return value
    }

    /// `[limits]` and its weekday tables (`[limits.sat]`).
    private static func decodeLimits(_ table: TOMLSection) throws(CubbyError) -> PlayLimits {
        var limits = PlayLimits()
        limits.dailyMinutes = try table.integer("daily_minutes", default: limits.dailyMinutes, in: 0...1_440)
        limits.sittingMinutes = try table.integer("sitting_minutes", default: limits.sittingMinutes, in: 0...1_440)
        limits.breakMinutes = try table.integer("break_minutes", default: limits.breakMinutes, in: 1...240)
        limits.warningMinutes = try table.integer("warning_minutes", default: limits.warningMinutes, in: 0...30)
        limits.restReminderMinutes = try table.integer("rest_reminder_minutes", default: limits.restReminderMinutes, in: 0...240)
        limits.aiReminderMinutes = try table.integer("ai_reminder_minutes", default: limits.aiReminderMinutes, in: 0...1_440)
        limits.quietHours = try quietHours(table, "quiet_hours") ?? nil
        let action = try table.choice("quiet_hours_action", of: QuietHoursAction.allCases.map(\.rawValue), default: limits.quietHoursAction.rawValue)
        limits.quietHoursAction = QuietHoursAction(rawValue: action) ?? .bedtimeLine
        for day in Weekday.allCases where table.contains(day.rawValue) {
            let dayTable = try table.section(day.rawValue)
            var override = PlayLimits.DayOverride()
            if dayTable.contains("daily_minutes") {
                override.dailyMinutes = try dayTable.integer("daily_minutes", default: limits.dailyMinutes, in: 0...1_440)
            }
            override.quietHours = try quietHours(dayTable, "quiet_hours")
            limits.days[day] = override
        }
        return limits
    }

    /// "HH:MM-HH:MM", or "" for none; nil when the key is absent.
    private static func quietHours(_ table: TOMLSection, _ key: String) throws(CubbyError) -> QuietHours?? {
        guard let text = try table.string(key) else { return nil }
        if text.trimmingSpaces().isEmpty { return .some(nil) }
        guard let hours = QuietHours(text) else {
            throw table.error(key, "\"\(text.prefix(40))\" is not a time range like \"20:00-07:00\" (24-hour clock; \"\" for none)")
        }
        return .some(hours)
    }

    private static func decodeScenes(_ table: TOMLSection) throws(CubbyError) -> SceneSettings {
        var settings = SceneSettings()
        if let allowed = try table.strings("allowed") {
            for name in allowed where !NameCheck.isName(name) {
                throw table.error("allowed", "\"\(name.prefix(32))\" is not a scene name (chat, story, bedtime, morning, learning_game, or a persona's own)")
            }
            settings.allowed = allowed
        }
        settings.sleepMinutes = try table.integer("sleep_minutes", default: settings.sleepMinutes, in: 0...720)
        return settings
    }

    private static func decodeParents(_ table: TOMLSection) throws(CubbyError) -> ParentSettings {
        var settings = ParentSettings()
        settings.readWithoutPIN = try table.boolean("read_without_pin", default: settings.readWithoutPIN)
        settings.unlockMinutes = try table.integer("unlock_minutes", default: settings.unlockMinutes, in: 1...240)
        settings.alertCommandTimeoutSeconds = try table.integer("alert_command_timeout_s", default: settings.alertCommandTimeoutSeconds, in: 1...600)
        if let command = try table.strings("alert_command"), !command.isEmpty {
            guard command[0].hasPrefix("/") else {
                throw table.error("alert_command", "the program must be an absolute path (got \"\(command[0].prefix(80))\"); it runs without a shell")
            }
            settings.alertCommand = command
        }
        return settings
    }

    /// `[xiaozhi]`: read (and checked) always, used only when `[cloud] provider = "xiaozhi"`.
    private static func decodeXiaozhi(_ table: TOMLSection, chosen: Bool, folder: String, environment: [String: String]) throws(CubbyError) -> XiaozhiSettings? {
        var url = try table.string("url", default: "")
        var source = table.qualifiedName("url")
        if let environmentURL = environment["CUBBY_XIAOZHI_URL"], !environmentURL.isEmpty {
            url = environmentURL
            source = "CUBBY_XIAOZHI_URL"
        }
        let token = try secret(table, inline: "token", file: "token_file", variable: "CUBBY_XIAOZHI_TOKEN", folder: folder, environment: environment)
        let deviceID = try table.string("device_id", default: "")
        let clientID = try table.string("client_id", default: "")
        let version = try table.integer("protocol_version", default: 1, in: 1...3)
        let helloTimeout = try table.integer("hello_timeout_ms", default: 10_000, in: 100...60_000)
        let idleTimeout = try table.integer("idle_timeout_ms", default: 8_000, in: 100...120_000)
        let allowInsecure = try table.boolean("allow_insecure", default: false)
        guard chosen else { return nil }
        guard !url.isEmpty else { throw table.error("url", "is required when [cloud] provider = \"xiaozhi\"") }
        if let problem = XiaozhiSettings.problem(withURL: url, allowInsecure: allowInsecure) {
            throw CubbyError(.invalidConfiguration, "\(source): \(problem)", context: table.file)
        }
        guard !deviceID.isEmpty else { throw table.error("device_id", "is required: the MAC-style id the server knows this toy by") }
        guard !clientID.isEmpty else { throw table.error("client_id", "is required: a UUID for this installation") }
        var settings = XiaozhiSettings(url: url, token: token, deviceID: deviceID, clientID: clientID,
                                       protocolVersion: XiaozhiProtocolVersion(rawValue: version) ?? .v1,
                                       helloTimeoutMilliseconds: helloTimeout, allowInsecure: allowInsecure)
        settings.idleTimeoutMilliseconds = idleTimeout
        return settings
    }

    /// `[speech]`: the voice. `engine = "openai"` uses `/v1/audio/speech`, by default at the `[cloud]`
    /// address with its key; `base_url` and `api_key_file` let the voice come from another vendor.
    private static func decodeSpeech(_ table: TOMLSection, cloud: CloudSettings?, folder: String, environment: [String: String]) throws(CubbyError) -> CloudSpeechSettings? {
        let engine = try table.choice("engine", of: ["espeak-ng", "openai"], default: "espeak-ng")
        let url = try table.string("base_url")
        let ownKey = try secret(table, file: "api_key_file", variable: "CUBBY_SPEECH_KEY", folder: folder, environment: environment)
        let model = try table.string("model", default: "gpt-4o-mini-tts")
        let explicitVoice = try table.string("voice")
        let voice = explicitVoice ?? "alloy"
        let timeout = try table.integer("timeout_ms", default: 3_000, in: 200...30_000)
        let allowInsecure = try table.boolean("allow_insecure_http", default: cloud?.allowInsecureHTTP ?? false)
        guard engine == "openai" else { return nil }
        guard let base = url ?? cloud?.baseURL, !base.isEmpty else {
            throw table.error("base_url", "is required for engine = \"openai\" when [cloud] has no base_url")
        }
        if let problem = CloudSettings.problem(withBaseURL: base, allowInsecureHTTP: allowInsecure) {
            throw CubbyError(.invalidConfiguration, "\(table.qualifiedName("base_url")): \(problem)", context: table.file)
        }
        let key = ownKey ?? (url == nil ? cloud?.apiKey : nil)
        var settings = CloudSpeechSettings(baseURL: base, apiKey: key, model: model, voice: voice, timeoutMilliseconds: timeout)
        settings.voiceIsExplicit = explicitVoice != nil
        return settings
    }

    private static func decodeSafety(_ table: TOMLSection, folder: String, environment: [String: String]) throws(CubbyError) -> SafetySettings {
        var settings = SafetySettings()
        settings.blockedTopics = try table.strings("blocked_topics") ?? []
        guard settings.blockedTopics.count <= 200, settings.blockedTopics.allSatisfy({ !$0.trimmingSpaces().isEmpty && $0.count <= 80 }) else {
            throw table.error("blocked_topics", "at most 200 topics of 1-80 characters each")
        }
        settings.rulesPath = try table.string("rules").map { ConfigPath.resolve($0, against: folder) }
        settings.privateNames = (try table.strings("private_names") ?? []).map { $0.trimmingSpaces() }
        guard settings.privateNames.allSatisfy({ $0.count >= 2 && $0.count <= 80 }) else {
            throw table.error("private_names", "each name must be 2-80 characters")
        }
        settings.coolDownMinutes = try table.integer("cool_down_minutes", default: 5, in: 1...120)

        let guardTable = try table.section("guard")
        var url = try guardTable.string("base_url", default: "")
        var source = guardTable.qualifiedName("base_url")
        if let environmentURL = environment["CUBBY_GUARD_URL"], !environmentURL.isEmpty {
            url = environmentURL
            source = "CUBBY_GUARD_URL"
        }
        let kindName = try guardTable.choice("kind", of: GuardSettings.Kind.allCases.map(\.rawValue), default: "moderation")
        let model = try guardTable.string("model", default: kindName == "moderation" ? "omni-moderation-latest" : "")
        let timeout = try guardTable.integer("timeout_ms", default: 400, in: 50...5_000)
        let onFailure = try guardTable.choice("on_failure", of: GuardSettings.OnFailure.allCases.map(\.rawValue), default: "allow")
        let allowInsecure = try guardTable.boolean("allow_insecure_http", default: false)
        let key = try secret(guardTable, file: "api_key_file", variable: "CUBBY_GUARD_KEY", folder: folder, environment: environment)
        if !url.isEmpty {
            if let problem = CloudSettings.problem(withBaseURL: url, allowInsecureHTTP: allowInsecure) {
                throw CubbyError(.invalidConfiguration, "\(source): \(problem)", context: table.file)
            }
            guard !model.isEmpty else { throw guardTable.error("model", "is required for a chat guard model") }
            settings.guardModel = GuardSettings(baseURL: url, apiKey: key, model: model, kind: GuardSettings.Kind(rawValue: kindName) ?? .moderation,
                                                timeoutMilliseconds: timeout, onFailure: GuardSettings.OnFailure(rawValue: onFailure) ?? .allow,
                                                allowInsecureHTTP: allowInsecure)
        }
        return settings
    }

    private static func decodeCloud(_ table: TOMLSection, folder: String, environment: [String: String]) throws(CubbyError) -> CloudSettings? {
        let fileURL = try table.string("base_url", default: "")
        let allowInsecure = try table.boolean("allow_insecure_http", default: false)
        var settings = CloudSettings(
            baseURL: fileURL,
            chatModel: try table.string("chat_model", default: "gpt-4o-mini"),
            transcriptionModel: try table.string("transcription_model", default: "whisper-1"),
            transcriptionLanguage: try table.string("transcription_language"),
            connectTimeoutMilliseconds: try table.integer("connect_timeout_ms", default: 700, in: 50...30_000),
            firstTokenTimeoutMilliseconds: try table.integer("first_token_timeout_ms", default: 8_000, in: 100...120_000),
            idleTimeoutMilliseconds: try table.integer("idle_timeout_ms", default: 5_000, in: 100...120_000),
            transcriptionTimeoutMilliseconds: try table.integer("transcription_timeout_ms", default: 10_000, in: 500...120_000),
            maximumResponseBytes: try table.integer("max_response_bytes", default: 1 << 20, in: 1024...(64 << 20)),
            maximumReplyTokens: try table.integer("max_reply_tokens", default: 300, in: 16...4_096),
            allowInsecureHTTP: allowInsecure)

        settings.apiKey = try secret(table, inline: "api_key", file: "api_key_file", variable: "CUBBY_CLOUD_KEY", folder: folder, environment: environment)

        let transcriptionURL = try table.string("transcription_base_url")
        if let transcriptionURL {
            if let problem = CloudSettings.problem(withBaseURL: transcriptionURL, allowInsecureHTTP: allowInsecure) {
                throw CubbyError(.invalidConfiguration, "\(table.qualifiedName("transcription_base_url")): \(problem)", context: table.file)
            }
            settings.transcriptionBaseURL = transcriptionURL
        }
        settings.transcriptionAPIKey = try secret(table, file: "transcription_api_key_file", folder: folder, environment: environment)

        var source = table.qualifiedName("base_url")
        if let environmentURL = environment["CUBBY_CLOUD_URL"], !environmentURL.isEmpty {
            settings.baseURL = environmentURL
            source = "CUBBY_CLOUD_URL"
        }
        guard !settings.baseURL.isEmpty else { return nil }
        if let problem = CloudSettings.problem(withBaseURL: settings.baseURL, allowInsecureHTTP: allowInsecure) {
            throw CubbyError(.invalidConfiguration, "\(source): \(problem)", context: table.file)
        }
        return settings
    }
}
