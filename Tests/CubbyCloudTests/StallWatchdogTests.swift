import CubbyCloud
import CubbyCore
import Testing

/// The stall watchdog on a clock moved by hand: no test waits for a timeout to really pass.
@Suite struct StallWatchdogTests {
    @Test func aStreamThatGoesQuietFailsOnlyOnceItsTimeHasPassed() async throws {
        let clock = ManualClock()
        let watchdog = StallWatchdog(first: .seconds(5), idle: .seconds(2), waitingFor: "the first token", clock: clock)
        let run = Task {
            try await watchdog.run(context: "test") { () async throws -> Int in
                try await clock.sleep(for: .seconds(3600))
                return 1
            }
        }
        // Let both sides of the race go to sleep, then move time to just before the first deadline.
        while clock.sleeperCount < 2 { await Task.yield() }
        clock.advance(by: .seconds(4))
        watchdog.touch(nowWaitingFor: "the next chunk")
        clock.advance(by: .seconds(1))
        // Re-armed for two seconds from the touch: still waiting at 5 s, failed past 6 s.
        try await Task.sleep(for: .milliseconds(20))
        #expect(clock.sleeperCount >= 1)
        clock.advance(by: .milliseconds(1_100))
        let result = await run.result
        #expect(throws: CubbyError.self) { try result.get() }
        if case .failure(let error as CubbyError) = result { #expect(error.message.contains("the next chunk")) }
    }
}
