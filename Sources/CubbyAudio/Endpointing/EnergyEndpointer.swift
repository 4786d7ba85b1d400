import CubbyCore

/// Tunables for deciding where a child's utterance starts and ends.
public struct EndpointerSettings: Sendable, Equatable {
    /// Silence after speech that ends the utterance.
    public var endSilenceMilliseconds: Int = 600
    /// Speech this long is cut off: a child who keeps talking still gets an answer.
    public var maximumUtteranceMilliseconds: Int = 15_000
    /// With no speech this long after the conversation opened, it closes.
    public var noSpeechTimeoutMilliseconds: Int = 5_000
    /// Voice this long in a row starts an utterance; shorter blips (a clap, a bump) do not.
    public var minimumSpeechMilliseconds: Int = 120
    /// A frame is voiced when louder than this absolute level…
    public var speechThresholdDBFS: Double = -45
    /// …and this far above the running noise floor.
    public var marginOverNoiseDB: Double = 10

    public init() {}
}

/// What the endpointer noticed, at absolute sample indices.
public enum EndpointEvent: Sendable, Equatable {
    case speechStarted(atSample: Int64)
    case speechEnded(atSample: Int64, reason: EndReason)
    /// The conversation opened but nobody spoke within the timeout.
    case noSpeech(atSample: Int64)

    public enum EndReason: String, Sendable, Equatable {
        case silence, maximumLength
    }
}

/// A simple energy endpointer: a pure state machine fed 10 ms frames, with no clock of its own (time is
/// counted in samples), so it behaves the same on a paced microphone and an unpaced file.
///
/// The audio issue replaces the voice decision with the front end's; the states and events stay.
public struct EnergyEndpointer: Sendable {
    public let settings: EndpointerSettings
    private let frameLength = AudioFormat.speech.samples(forMilliseconds: 10)
    private var pending: [Int16] = []
    private var nextFrameStart: Int64
    private let openedAt: Int64
    private var noiseFloorDB = -70.0
    private var voicedRun = 0
    private var silentRun = 0
    private var speechStart: Int64?
    private var finished = false

    public init(settings: EndpointerSettings, startingAt sample: Int64) {
        self.settings = settings
        nextFrameStart = sample
        openedAt = sample
    }

    public var isInSpeech: Bool { speechStart != nil }

    public mutating func process(_ chunk: AudioChunk) -> [EndpointEvent] {
        guard !finished else { return [] }
        if pending.isEmpty { nextFrameStart = max(nextFrameStart, chunk.startSample) }
        pending += chunk.samples
        var events: [EndpointEvent] = []
        var offset = 0
        while !finished, pending.count - offset >= frameLength {
            let frame = pending[offset..<offset + frameLength]
            offset += frameLength
            if let event = processFrame(frame, at: nextFrameStart) { events.append(event) }
            nextFrameStart += Int64(frameLength)
        }
        pending.removeFirst(offset)
        return events
    }

    private func ms(_ samples: Int) -> Int { AudioFormat.speech.milliseconds(forSamples: samples) }

    private mutating func processFrame(_ frame: ArraySlice<Int16>, at start: Int64) -> EndpointEvent? {
        let level = SignalLevel.rmsDBFS(frame)
        let voiced = level > settings.speechThresholdDBFS && level > noiseFloorDB + settings.marginOverNoiseDB
        if !voiced {
            // Follow the floor down quickly and up slowly, so speech does not raise it.
            noiseFloorDB = level < noiseFloorDB ? level : noiseFloorDB * 0.995 + level * 0.005
        }
        let frameEnd = start + Int64(frameLength)

        guard let speechStart else {
            voicedRun = voiced ? voicedRun + 1 : 0
            if ms(voicedRun * frameLength) >= settings.minimumSpeechMilliseconds {
                let began = frameEnd - Int64(voicedRun * frameLength)
                self.speechStart = began
                silentRun = 0
                return .speechStarted(atSample: began)
            }
            if ms(Int(frameEnd - openedAt)) >= settings.noSpeechTimeoutMilliseconds {
                finished = true
                return .noSpeech(atSample: frameEnd)
            }
            return nil
        }

        silentRun = voiced ? 0 : silentRun + 1
        if ms(silentRun * frameLength) >= settings.endSilenceMilliseconds {
            finished = true
            return .speechEnded(atSample: frameEnd - Int64(silentRun * frameLength), reason: .silence)
        }
        if ms(Int(frameEnd - speechStart)) >= settings.maximumUtteranceMilliseconds {
            finished = true
            return .speechEnded(atSample: frameEnd, reason: .maximumLength)
        }
        return nil
    }

    /// Ends the utterance at the end of the stream: a file that stops mid-sentence still gets answered.
    public mutating func finishStream(at sample: Int64) -> EndpointEvent? {
        guard !finished else { return nil }
        finished = true
        if speechStart != nil { return .speechEnded(atSample: sample, reason: .silence) }
        return .noSpeech(atSample: sample)
    }
}
