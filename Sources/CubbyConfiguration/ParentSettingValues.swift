/// The settings a parent may change (`ConfigurationEditor.parentKeys`), each with its value in force
/// written as TOML, for `cubby settings get` and the parents' menu.
public enum ParentSettingValues {
    public static func values(of c: DaemonConfiguration) -> [String: String] {
        let q = ConfigurationEditor.quoted
        let list = { (items: [String]) in "[" + items.map(q).joined(separator: ", ") + "]" }
        var values: [String: String] = [
            "child.name": q(c.childName ?? ""), "child.age": "\(c.childAge)", "child.language": q(c.childLanguage ?? ""),
            "device.muted": "\(c.muted)", "device.max_volume": "\(c.maxVolume)",
            "limits.daily_minutes": "\(c.limits.dailyMinutes)", "limits.sitting_minutes": "\(c.limits.sittingMinutes)",
            "limits.break_minutes": "\(c.limits.breakMinutes)", "limits.warning_minutes": "\(c.limits.warningMinutes)",
            "limits.rest_reminder_minutes": "\(c.limits.restReminderMinutes)", "limits.ai_reminder_minutes": "\(c.limits.aiReminderMinutes)",
            "limits.quiet_hours": q(c.limits.quietHours?.description ?? ""), "limits.quiet_hours_action": q(c.limits.quietHoursAction.rawValue),
            "safety.blocked_topics": list(c.safety.blockedTopics), "safety.private_names": list(c.safety.privateNames),
            "safety.cool_down_minutes": "\(c.safety.coolDownMinutes)", "privacy.transcript_days": "\(c.transcriptDays)",
            "conversation.follow_up": "\(c.followUp)", "wake.sensitivity": c.wakeSensitivity.map { "\($0)" } ?? q(""),
            "wake.barge_in": "\(c.bargeIn)", "parents.read_without_pin": "\(c.parents.readWithoutPIN)",
            "parents.unlock_minutes": "\(c.parents.unlockMinutes)",
            "scenes.allowed": c.scenes.allowed.map(list) ?? "[\"chat\", \"story\", \"bedtime\", \"morning\", \"learning_game\"]",
            "scenes.sleep_minutes": "\(c.scenes.sleepMinutes)",
            "cloud.base_url": q(c.cloud?.baseURL ?? ""), "cloud.chat_model": q(c.cloud?.chatModel ?? ""),
            "cloud.transcription_language": q(c.cloud?.transcriptionLanguage ?? ""),
            "cloud.api_key_file": q(c.cloud?.apiKey == nil ? "" : "(set)"), "speech.voice": q(c.speech?.voice ?? ""),
        ]
        for (day, override) in c.limits.days {
            if let minutes = override.dailyMinutes { values["limits.\(day.rawValue).daily_minutes"] = "\(minutes)" }
            if let hours = override.quietHours { values["limits.\(day.rawValue).quiet_hours"] = q(hours?.description ?? "") }
        }
        return values
    }
}

/// Every service outside the toy a configuration sends something to, and what it receives: what a
/// parent consents to at setup.
public enum DataRecipients {
    public static func describe(_ c: DaemonConfiguration) -> [String] {
        var lines: [String] = []
        if let xiaozhi = c.xiaozhi {
            lines.append("\(xiaozhi.url): after the wake phrase only, the recording of your child's question; it turns it into words and writes the answer")
        }
        if let cloud = c.cloud {
            if let transcription = cloud.transcriptionBaseURL, transcription != cloud.baseURL {
                lines.append("\(transcription): after the wake phrase only, the recording of your child's question, to turn it into words")
                lines.append("\(cloud.baseURL): the words, with names and personal details removed, to write the toy's answer")
            } else {
                lines.append("\(cloud.baseURL): after the wake phrase only, the recording of your child's question (to turn it into words) and the words, with names and personal details removed, to write the toy's answer")
            }
        }
        if let speech = c.speech { lines.append("\(speech.baseURL): the toy's own sentences, to speak them in a cloud voice") }
        if let guardModel = c.safety.guardModel { lines.append("\(guardModel.baseURL): the toy's own sentences, for a second safety check") }
        return lines
    }
}
