import CubbyAudio
import CubbyCore
import CubbyWake

/// How a conversation was opened.
public enum OpenReason: String, Sendable, Codable {
    case wakeWord = "wake_word"
    case talkButton = "talk_button"
    case touchPad = "touch_pad"
    /// The toy spoke first (a routine, a scene a parent started) and listens for the child's answer.
    case routine
    case parent
}

/// What the listener noticed in the capture stream.
public enum ListenerEvent: Sendable, Equatable {
    case opened(OpenReason, atSample: Int64, phrase: String?)
    /// The child interrupted the toy (wake phrase or button while it was answering): stop speaking now.
    /// The listener is already listening for what comes next.
    case bargeIn(OpenReason, atSample: Int64, phrase: String?)
    /// A complete utterance to answer; the samples run from just before speech started to its end.
    case utterance(samples: [Int16], startSample: Int64, endSample: Int64)
    case closed(atSample: Int64, reason: CloseReason)

    public enum CloseReason: String, Sendable, Equatable {
        case noSpeech = "no_speech"
        case endOfStream = "end_of_stream"
        case muted
    }
}

/// The gate between the microphone and everything else: idle until the wake phrase (or the talk button),
/// then collecting one utterance at a time until nobody speaks.
///
/// Audio is kept only while a conversation is open, and only the current utterance; outside a
/// conversation every chunk goes to the wake detector and nowhere else. Looking back (the utterance starts
/// half a second before the wake phrase ended) reads the capture ring, which stays in memory. While the
/// toy answers, chunks go to the wake detector only, for barge-in. Not thread-safe: one task feeds it.
public final class Listener {
    public enum State: Equatable, Sendable {
        case idle
        case listening
        /// A turn is being answered; audio is not collected.
        case answering
    }

    public private(set) var state: State = .idle
    private let spotter: WakeSpotter?
    /// The wake engine forgets what it heard before at the next chunk (a conversation opened or closed).
    private var resetPending = false
    private var settings: EndpointerSettings
    private var endpointer: EnergyEndpointer?
    private var collected: [Int16] = []
    private var collectedStart: Int64 = 0
    /// Audio kept from before speech was detected, so the first syllable is not clipped; and, at a wake,
    /// how far before the end of the wake phrase the utterance starts, so a child who runs the name into
    /// the question ("hey teddy why…") is heard whole.
    private let prerollSamples = AudioFormat.speech.samples(forMilliseconds: 500)
    /// The capture ring, in the same sample indices as the chunks fed here.
    private let ring: AudioRing
    /// Whether the wake phrase interrupts the toy while it speaks (needs echo cancellation to be useful).
    public var bargeInEnabled: Bool

    public init(spotter: WakeSpotter?, settings: EndpointerSettings, ring: AudioRing, bargeInEnabled: Bool = true) {
        self.spotter = spotter
        self.settings = settings
        self.ring = ring
        self.bargeInEnabled = bargeInEnabled
    }

    public var isConversationOpen: Bool { state != .idle }

    /// New endpointing settings (a reload), used from the next utterance on.
    public func replaceSettings(_ settings: EndpointerSettings) {
        self.settings = settings
    }

    /// Opens a conversation without the wake phrase (the talk button, the touch pad); while the toy is
    /// answering, the press interrupts it.
    public func open(by reason: OpenReason, atSample sample: Int64) -> ListenerEvent {
        let wasAnswering = state == .answering
        startListening(at: sample)
        return wasAnswering ? .bargeIn(reason, atSample: sample, phrase: nil) : .opened(reason, atSample: sample, phrase: nil)
    }

    /// Closes whatever is open (mute): nothing more is collected.
    public func closeNow(atSample sample: Int64) -> ListenerEvent? {
        guard state != .idle else { return nil }
        close()
        return .closed(atSample: sample, reason: .muted)
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

    public func process(_ chunk: AudioChunk) async throws(CubbyError) -> [ListenerEvent] {
        switch state {
        case .idle, .answering:
            let answering = state == .answering
            guard !answering || bargeInEnabled, let spotter else { return [] }
            let reset = resetPending
            resetPending = false
            guard let detection = try await spotter.process(chunk, resetFirst: reset) else { return [] }
            startListening(at: chunk.endSample)
            seedFromRing(from: detection.endSample - Int64(prerollSamples), to: chunk.endSample)
            return [answering ? .bargeIn(.wakeWord, atSample: detection.endSample, phrase: detection.phrase)
                              : .opened(.wakeWord, atSample: detection.endSample, phrase: detection.phrase)]
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

    /// Starts the utterance with the ring's audio from `start` (the tail of the wake phrase) up to the end
    /// of the chunk just processed.
    private func seedFromRing(from start: Int64, to end: Int64) {
        let (chunk, _) = ring.read(from: max(0, start), maxCount: Int(max(0, end - max(0, start))))
        collected = chunk.samples
        collectedStart = chunk.startSample
    }

    private func startListening(at sample: Int64) {
        state = .listening
        endpointer = EnergyEndpointer(settings: settings, startingAt: sample)
        collected = []
        collectedStart = sample
        resetPending = true
    }

    private func close() {
        state = .idle
        endpointer = nil
        collected = []
        resetPending = true
    }

    private func collect(_ chunk: AudioChunk) -> [ListenerEvent] {
        guard var endpointer else { return [] }
        if collected.isEmpty { collectedStart = chunk.startSample }
        collected += chunk.uplinkSamples
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
