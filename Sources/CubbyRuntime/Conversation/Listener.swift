import CubbyAudio
import CubbyCore
import CubbyWake

/// How a conversation was opened.
public enum OpenReason: String, Sendable, Codable {
    case wakeWord = "wake_word"
    case talkButton = "talk_button"
}

/// What the listener noticed in the capture stream.
public enum ListenerEvent: Sendable, Equatable {
    case opened(OpenReason, atSample: Int64, phrase: String?)
    /// A complete utterance to answer; the samples run from just before speech started to its end.
    case utterance(samples: [Int16], startSample: Int64, endSample: Int64)
    case closed(atSample: Int64, reason: CloseReason)

    public enum CloseReason: String, Sendable, Equatable {
        case noSpeech = "no_speech"
        case endOfStream = "end_of_stream"
    }
}

/// The gate between the microphone and everything else: idle until the wake phrase (or the talk button),
/// then collecting one utterance at a time until nobody speaks.
///
/// Audio is kept only while a conversation is open, and only the current utterance; outside a
/// conversation every chunk goes to the wake detector and nowhere else. Not thread-safe: one task feeds it.
public final class Listener {
    public enum State: Equatable, Sendable {
        case idle
        case listening
        /// A turn is being answered; audio is not collected.
        case answering
    }

    public private(set) var state: State = .idle
    private var detector: (any WakeDetector)?
    private var settings: EndpointerSettings
    private var endpointer: EnergyEndpointer?
    private var collected: [Int16] = []
    private var collectedStart: Int64 = 0
    /// Audio kept from before speech was detected, so the first syllable is not clipped; and, at a wake,
    /// how far before the end of the wake phrase the utterance starts, so a child who runs the name into
    /// the question ("hey teddy why…") is heard whole.
    private let prerollSamples = AudioFormat.speech.samples(forMilliseconds: 500)
    /// While idle, the last `prerollSamples` of audio, in memory only: it leaves the Listener only if the
    /// wake phrase opens a conversation, and is overwritten otherwise.
    private var recent: [Int16] = []
    private var recentStart: Int64 = 0

    public init(detector: (any WakeDetector)?, settings: EndpointerSettings) {
        self.detector = detector
        self.settings = settings
    }

    public var isConversationOpen: Bool { state != .idle }

    /// Swaps the wake engine (the persona or its sensitivity changed on reload).
    public func replaceDetector(_ detector: (any WakeDetector)?) {
        self.detector = detector
    }

    /// New endpointing settings (a reload), used from the next utterance on.
    public func replaceSettings(_ settings: EndpointerSettings) {
        self.settings = settings
    }

    /// Opens a conversation without the wake phrase (the talk button).
    public func open(by reason: OpenReason, atSample sample: Int64) -> ListenerEvent {
        startListening(at: sample)
        return .opened(reason, atSample: sample, phrase: nil)
    }

    /// The answer has been spoken: listen for a follow-up, or close.
    public func answerFinished(atSample sample: Int64, followUp: Bool) -> ListenerEvent? {
        guard state == .answering else { return nil }
        if followUp {
            startListening(at: sample)
            return nil
        }
        close()
        return .closed(atSample: sample, reason: .noSpeech)
    }

    public func process(_ chunk: AudioChunk) throws(CubbyError) -> [ListenerEvent] {
        switch state {
        case .answering:
            return []
        case .idle:
            remember(chunk)
            guard let detector, let detection = try detector.process(chunk) else { return [] }
            startListening(at: chunk.endSample)
            seedFromRecent(from: detection.endSample - Int64(prerollSamples))
            return [.opened(.wakeWord, atSample: detection.endSample, phrase: detection.phrase)]
        case .listening:
            return collect(chunk)
        }
    }

    /// The input ended: answer what was being said, then close.
    public func finishStream(atSample sample: Int64) -> [ListenerEvent] {
        guard state == .listening, var endpointer else {
            if state != .idle { close(); return [.closed(atSample: sample, reason: .endOfStream)] }
            return []
        }
        var events: [ListenerEvent] = []
        if case .speechEnded(let end, _)? = endpointer.finishStream(at: sample), let utterance = takeUtterance(endingAt: end) {
            events.append(utterance)
            self.endpointer = endpointer
        }
        close()
        events.append(.closed(atSample: sample, reason: .endOfStream))
        return events
    }

    private func remember(_ chunk: AudioChunk) {
        if recent.isEmpty || recentStart + Int64(recent.count) != chunk.startSample {
            // First chunk, or audio was lost: start over from this chunk.
            recent = []
            recentStart = chunk.startSample
        }
        recent += chunk.samples
        if recent.count > prerollSamples {
            let drop = recent.count - prerollSamples
            recent.removeFirst(drop)
            recentStart += Int64(drop)
        }
    }

    /// Starts the utterance with the remembered audio from `sample` on (the tail of the wake phrase).
    private func seedFromRecent(from sample: Int64) {
        let skip = Int(max(0, min(Int64(recent.count), sample - recentStart)))
        collected = Array(recent[skip...])
        collectedStart = recentStart + Int64(skip)
        recent = []
    }

    private func startListening(at sample: Int64) {
        state = .listening
        endpointer = EnergyEndpointer(settings: settings, startingAt: sample)
        collected = []
        collectedStart = sample
        try? detector?.reset()
    }

    private func close() {
        state = .idle
        recent = []
        endpointer = nil
        collected = []
        try? detector?.reset()
    }

    private func collect(_ chunk: AudioChunk) -> [ListenerEvent] {
        guard var endpointer else { return [] }
        if collected.isEmpty { collectedStart = chunk.startSample }
        collected += chunk.samples
        let events = endpointer.process(chunk)
        self.endpointer = endpointer
        // Before speech is confirmed, keep only the pre-roll plus the stretch the endpointer needs to confirm
        // it, so the utterance still starts a full pre-roll before the speech onset.
        let keepBeforeSpeech = prerollSamples + AudioFormat.speech.samples(forMilliseconds: settings.minimumSpeechMilliseconds + 20)
        if !endpointer.isInSpeech && collected.count > keepBeforeSpeech {
            let drop = collected.count - keepBeforeSpeech
            collected.removeFirst(drop)
            collectedStart += Int64(drop)
        }
        var out: [ListenerEvent] = []
        for event in events {
            switch event {
            case .speechStarted:
                continue
            case .speechEnded(let end, _):
                if let utterance = takeUtterance(endingAt: end) { out.append(utterance) }
                state = .answering
                self.endpointer = nil
            case .noSpeech(let at):
                close()
                out.append(.closed(atSample: at, reason: .noSpeech))
            }
        }
        return out
    }

    private func takeUtterance(endingAt end: Int64) -> ListenerEvent? {
        let keep = Int(max(0, min(Int64(collected.count), end - collectedStart)))
        guard keep > 0 else { return nil }
        let samples = Array(collected.prefix(keep))
        collected = []
        return .utterance(samples: samples, startSample: collectedStart, endSample: collectedStart + Int64(keep))
    }
}
