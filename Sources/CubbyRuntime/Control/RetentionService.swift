import CubbyCore
import CubbyMemory
import Foundation
import Logging
import ServiceLifecycle

/// Deletes conversation transcripts older than the parent's `[privacy] transcript_days`, at start and
/// then every hour. Memories and alerts are not touched: they stay until someone deletes them.
struct RetentionService: Service {
    let database: CubbyDatabase
    let live: LiveSettings
    let clock: any CubbyClock
    let logger: Logger
    var interval: Duration = .seconds(3_600)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            sweep()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func sweep() {
        let days = live.current.configuration.transcriptDays
        let cutoff = clock.date.addingTimeInterval(-Double(days) * 86_400)
        do {
            let deleted = try database.child.deleteTranscripts(before: cutoff)
            if deleted > 0 { logger.info("deleted \(deleted) conversations older than \(days) days") }
        } catch {
            logger.error("could not delete old transcripts", metadata: ["error": "\(error)"])
        }
    }
}
