import CubbyAudio
import CubbyCore
import Foundation
import Logging
import Synchronization

/// The persona pack's little sounds (a purr, a giggle, a boing) on the toy's speaker. A touch reaction's
/// sound plays only when the toy is not talking: it never talks over itself or the child. An emotion's
/// sound plays while the toy speaks, queued after the speech already queued, as a character giggles
/// mid-reply (with a cloud voice that comes in parts, possibly between two parts of a sentence); at
/// most one every few seconds, so a model that names an emotion on every sentence does not turn the reply
/// into noise. Sounds are the pack's own files, chosen by the persona's expression map: the model only
/// names an emotion, so nothing it writes reaches the speaker this way.
final class PersonaSounds: Sendable {
    let speaker: SpeakerQueue
    let activity: ConversationActivity
    let clock: any CubbyClock
    let logger: Logger
    /// The shortest time between two emotion sounds.
    static let expressionGap: Duration = .seconds(4)
    private let lastExpression = Mutex<ContinuousClock.Instant?>(nil)
    /// Decoded and resampled sounds by path: a pack has a handful of short ones.
    private let decoded = Mutex<[String: [Int16]]>([:])
    static let cached = 16

    init(speaker: SpeakerQueue, activity: ConversationActivity, clock: any CubbyClock, logger: Logger) {
        self.speaker = speaker
        self.activity = activity
        self.clock = clock
        self.logger = logger
    }

    /// A touch reaction's sound, unless the toy is talking (checked again once the file is read). Returns
    /// the task that queues it, or nil when it is left out.
    @discardableResult
    func reaction(_ path: String) -> Task<Void, Never>? {
        guard !activity.isOpen, !speaker.isPlaying else { return nil }
        return play(path) { [activity] in !activity.isOpen }
    }

    /// An emotion's sound during a reply, after what the speaker already has queued. Returns the task that
    /// queues it, or nil when it comes too soon after the last one.
    @discardableResult
    func expression(_ path: String) -> Task<Void, Never>? {
        let now = clock.now
        let taken = lastExpression.withLock { last -> Bool in
            if let last, now - last < Self.expressionGap { return false }
            last = now
            return true
        }
        // Only while the conversation that asked for it is still open.
        return taken ? play(path) { [activity] in activity.isOpen } : nil
    }

    /// Reads and resamples off the caller's task (a fall right after a reaction must not wait for a file),
    /// then queues the sound if `stillWanted` and the speaker has not been stopped since it was asked for
    /// (a child's barge-in, a mute, a held-back sentence end the sound with the speech).
    private func play(_ path: String, if stillWanted: @escaping @Sendable () -> Bool) -> Task<Void, Never> {
        let (speaker, logger) = (speaker, logger)
        let stops = speaker.stops
        return Task.detached(priority: .utility) {
            do {
                let samples = try self.samples(path)
                guard stillWanted() else { return }
                try speaker.enqueue(samples, unlessStoppedSince: stops)
            } catch {
                logger.error("could not play the persona's sound", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
    }

    private func samples(_ path: String) throws(CubbyError) -> [Int16] {
        if let known = decoded.withLock({ $0[path] }) { return known }
        let audio = try WAVAudio.read(contentsOf: path)
        let samples = try Resampler.convert(audio.mono(), from: audio.format.sampleRate, to: speaker.format.sampleRate)
        decoded.withLock { cache in
            if cache.count >= Self.cached { cache.removeAll() }
            cache[path] = samples
        }
        return samples
    }
}
