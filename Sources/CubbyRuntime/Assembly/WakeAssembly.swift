import CubbyConfiguration
import CubbyCore
import CubbyMicroWake
import CubbyPersona
import CubbyWake
import Foundation
import Logging

/// A wake engine built for one set of wake settings. Building it can fail on bad input (a word of the
/// wake phrase with no pronunciation) and takes a second or more on a small board, so it is built before
/// the daemon says it is ready, and on reload before the new settings are accepted.
public final class WakeEngine: @unchecked Sendable {
    // @unchecked: the detector is used by one task at a time: built on one thread, then fed only by the
    // conversation loop's listener.
    public let settings: WakeSettings
    let detector: any WakeDetector

    init(settings: WakeSettings, detector: any WakeDetector) {
        self.settings = settings
        self.detector = detector
    }
}

enum WakeAssembly {
    typealias Make = @Sendable (WakeSettings) throws(CubbyError) -> any WakeDetector

    /// The persona's wake phrase with the parent's sensitivity and near-miss choice.
    static func settings(configuration: DaemonConfiguration, persona: Persona) -> WakeSettings {
        var settings = persona.wake
        if let sensitivity = configuration.wakeSensitivity { settings.sensitivity = sensitivity }
        settings.verifyNearMisses = configuration.verifyNearMisses
        return settings
    }

    static let pocketSphinx: Make = { settings throws(CubbyError) in try PocketSphinxSpotter(settings: settings) }

    /// The persona's engine: its microWakeWord model when it names one (with PocketSphinx's near-miss
    /// check as a second stage when the pack asks for it and the parent keeps it on), PocketSphinx keyphrase
    /// spotting otherwise.
    static func build(configuration: DaemonConfiguration, persona: Persona, make: Make = pocketSphinx, logger: Logger? = nil) throws(CubbyError) -> WakeEngine {
        let settings = settings(configuration: configuration, persona: persona)
        if persona.wakeEngine == .microwakeword, let model = persona.wakeModelPath {
            let manifest = (persona.sourcePath as NSString).appendingPathComponent(model)
            // The second stage only where the maker asked for it and the parent keeps near-miss checks on.
            let detector = try MicroWakeDetector(manifestPath: manifest, settings: settings, secondStage: persona.wakeSecondStage && settings.verifyNearMisses)
            if let problem = detector.secondStageProblem {
                // A phrase PocketSphinx cannot say (a name with no pronunciation) gets no second stage.
                logger?.warning("the wake model listens without its near-miss check", metadata: ["why": "\(problem)"])
            }
            return WakeEngine(settings: settings, detector: detector)
        }
        return WakeEngine(settings: settings, detector: try make(settings))
    }
}
