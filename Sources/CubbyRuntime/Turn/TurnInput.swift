import Foundation

/// What a turn starts from: the child's utterance and where it sits in the conversation.
public struct TurnInput: Sendable {
    public var utterance: [Int16]
    /// nil when the conversation could not be recorded (a full disk): the turn is answered and reported
    /// but not stored.
    public var conversationID: Int64?
    /// The turn's place in the conversation, from 0 (picks the offline line, among others).
    public var index: Int
    /// When the endpointer decided the child had finished: the zero of the turn's timings.
    public var endOfSpeech: ContinuousClock.Instant
    /// Wall-clock time the turn started, for the record.
    public var startedAt: Date

    public init(utterance: [Int16], conversationID: Int64?, index: Int, endOfSpeech: ContinuousClock.Instant, startedAt: Date = Date()) {
        self.utterance = utterance
        self.conversationID = conversationID
        self.index = index
        self.endOfSpeech = endOfSpeech
        self.startedAt = startedAt
    }
}

extension TurnTimings {
    /// The moments a turn's latency is measured at, each kept the first time it happens.
    enum Moment { case requestSent, firstToken, firstAudio }

    mutating func mark(_ moment: Moment, at instant: ContinuousClock.Instant, since start: ContinuousClock.Instant) {
        let ms = (instant - start).milliseconds
        switch moment {
        case .requestSent: if toRequestMs == nil { toRequestMs = ms }
        case .firstToken: if toFirstTokenMs == nil { toFirstTokenMs = ms }
        case .firstAudio: if toFirstAudioMs == nil { toFirstAudioMs = ms }
        }
    }
}
