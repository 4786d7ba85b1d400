import CubbyAudio
import CubbyCore
import CubbyWake
import Foundation
import ServiceLifecycle

/// The wake engine as an actor on a thread of its own: the listener awaits each chunk's decoding in
/// order, and the decoding never holds a thread of the cooperative pool. A reload hands it a new engine
/// (built and checked by the reload) between conversations.
public actor WakeSpotter {
    private let thread: DedicatedThreadExecutor
    private var detector: (any WakeDetector)?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    public init(engine: WakeEngine?) {
        thread = DedicatedThreadExecutor(name: "cubby-wake")
        detector = engine?.detector
    }

    /// For tests: a detector of their own.
    public init(detector: sending (any WakeDetector)?) {
        thread = DedicatedThreadExecutor(name: "cubby-wake")
        self.detector = detector
    }

    /// Feeds a chunk; `resetFirst` forgets the partial state of what came before (the toy spoke, or a
    /// conversation opened or closed since the last chunk).
    public func process(_ chunk: AudioChunk, resetFirst: Bool) throws(CubbyError) -> WakeDetection? {
        if resetFirst { try? detector?.reset() }
        return try detector?.process(chunk)
    }

    public func replace(_ engine: WakeEngine?) {
        detector = engine?.detector
    }

    /// The name of the executor the calling thread runs, if it is one of Cubby's own (for tests and logs).
    public nonisolated static var currentThreadExecutor: String? {
        Thread.current.threadDictionary[DedicatedThreadExecutor.threadKey] as? String
    }

    /// The thread ends once idle (the daemon is stopping).
    nonisolated func stopWhenIdle() { thread.stop() }
}

/// The wake engine's thread as a Service: it runs for as long as the daemon does and ends at shutdown,
/// after the conversation (the group stops services in reverse order).
struct WakeService: Service {
    let spotter: WakeSpotter

    func run() async {
        try? await gracefulShutdown()
        spotter.stopWhenIdle()
    }
}
