@preconcurrency import CALSA
import CubbyCore

/// One mixer control a board sets at start (`[audio.mixer.controls]`): a volume as a percentage of the
/// control's own range, or a switch.
public struct MixerSetting: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case percent(Int)
        case on(Bool)
    }

    /// The simple control's name as `amixer scontrols` shows it ("Speaker", "Capture").
    public var control: String
    public var value: Value

    public init(control: String, value: Value) {
        self.control = control
        self.value = value
    }

    /// The raw step for a percentage of a control's range, rounded to the nearest.
    public static func raw(percent: Int, in range: ClosedRange<Int>) -> Int {
        let fraction = Double(min(max(percent, 0), 100)) / 100
        return range.lowerBound + Int((Double(range.upperBound - range.lowerBound) * fraction).rounded())
    }
}

/// A sound card's mixer through libasound's simple-element API (what `amixer` uses): the board's
/// amplifier and microphone gains, set once at start so that a codec's power-on defaults (often muted, or
/// at full gain) never decide how loud the toy is. Each setting goes to the playback side of a control
/// when it has one, else to its capture side.
public final class ALSAMixer {
    private let handle: OpaquePointer
    public let card: String

    /// Opens the mixer of `card` (`hw:0`, `hw:CARD=seeed2micvoicec`).
    public init(card: String) throws(CubbyError) {
        var mixer: OpaquePointer?
        try ALSAResult.check(snd_mixer_open(&mixer, 0), "opening the mixer", device: card)
        guard let mixer else { throw CubbyError(.audio, "opening the mixer gave no mixer", context: "ALSA card \"\(card)\"") }
        do {
            try ALSAResult.check(snd_mixer_attach(mixer, card), "attaching the mixer", device: card)
            try ALSAResult.check(snd_mixer_selem_register(mixer, nil, nil), "registering the mixer's controls", device: card)
            try ALSAResult.check(snd_mixer_load(mixer), "loading the mixer's controls", device: card)
        } catch {
            snd_mixer_close(mixer)
            throw error
        }
        handle = mixer
        self.card = card
    }

    deinit { snd_mixer_close(handle) }

    /// The card's simple controls, by name (index 0 of each).
    public func controls() -> [String] {
        var names: [String] = []
        var element = snd_mixer_first_elem(handle)
        while let current = element {
            if let name = snd_mixer_selem_get_name(current), snd_mixer_selem_get_index(current) == 0 { names.append(String(cString: name)) }
            element = snd_mixer_elem_next(current)
        }
        return names
    }

    /// Sets each control, in order; the first that fails stops and is named with what the card has.
    public func apply(_ settings: [MixerSetting]) throws(CubbyError) {
        for setting in settings { try apply(setting) }
    }

    private func element(_ control: String) throws(CubbyError) -> OpaquePointer {
        var element = snd_mixer_first_elem(handle)
        while let current = element {
            if let name = snd_mixer_selem_get_name(current), String(cString: name) == control, snd_mixer_selem_get_index(current) == 0 { return current }
            element = snd_mixer_elem_next(current)
        }
        throw CubbyError(.invalidConfiguration, "the mixer has no control \"\(control)\"; it has: \(controls().joined(separator: ", "))", context: "ALSA card \"\(card)\"")
    }

    private func apply(_ setting: MixerSetting) throws(CubbyError) {
        let element = try element(setting.control)
        let what = "setting \"\(setting.control)\""
        switch setting.value {
        case .percent(let percent):
            var low = 0, high = 0
            if snd_mixer_selem_has_playback_volume(element) != 0 {
                try ALSAResult.check(snd_mixer_selem_get_playback_volume_range(element, &low, &high), what, device: card)
                try ALSAResult.check(snd_mixer_selem_set_playback_volume_all(element, MixerSetting.raw(percent: percent, in: low...max(low, high))), what, device: card)
            } else if snd_mixer_selem_has_capture_volume(element) != 0 {
                try ALSAResult.check(snd_mixer_selem_get_capture_volume_range(element, &low, &high), what, device: card)
                try ALSAResult.check(snd_mixer_selem_set_capture_volume_all(element, MixerSetting.raw(percent: percent, in: low...max(low, high))), what, device: card)
            } else {
                throw CubbyError(.invalidConfiguration, "the mixer control \"\(setting.control)\" has no volume: give it true or false", context: "ALSA card \"\(card)\"")
            }
        case .on(let on):
            if snd_mixer_selem_has_playback_switch(element) != 0 {
                try ALSAResult.check(snd_mixer_selem_set_playback_switch_all(element, on ? 1 : 0), what, device: card)
            } else if snd_mixer_selem_has_capture_switch(element) != 0 {
                try ALSAResult.check(snd_mixer_selem_set_capture_switch_all(element, on ? 1 : 0), what, device: card)
            } else {
                throw CubbyError(.invalidConfiguration, "the mixer control \"\(setting.control)\" has no switch: give it a volume 0-100", context: "ALSA card \"\(card)\"")
            }
        }
    }
}
