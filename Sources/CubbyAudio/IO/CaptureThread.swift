import CubbyCore
import Foundation

/// Runs a blocking `AudioReader` on a thread of its own and hands chunks to async code.
///
/// Capture must never wait for its consumer: the stream keeps at most `depthChunks` chunks, dropping the
/// oldest when the conversation loop falls behind, so memory stays bounded. Each chunk carries absolute
/// sample indices, so a consumer can tell when audio was lost. `paced` makes a file source run in real
/// time, as a microphone would.
public final class CaptureThread: @unchecked Sendable {
    // @unchecked: `reader` is touched only by the capture thread after `start`; `stopRequested` is behind `lock`.
    private let reader: any AudioReader
    private let paced: Bool
    private let lock = NSLock()
    private var stopRequested = false
    private var captured: Int64 = 0
    private var thread: Thread?

    public init(reader: any AudioReader, paced: Bool) {
        self.reader = reader
        self.paced = paced
    }

    /// Starts capturing; the stream finishes at the end of the source, on `stop()`, or with the reader's error.
    public func start(depthChunks: Int = 500) -> AsyncThrowingStream<AudioChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AudioChunk, any Error>.makeStream(
            bufferingPolicy: .bufferingNewest(depthChunks))
        let thread = Thread { [self] in
            var index: Int64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                while !isStopRequested, let samples = try reader.read() {
                    continuation.yield(AudioChunk(startSample: index, samples: samples))
                    index += Int64(samples.count)
                    lock.withLock { captured = index }
                    if paced {
                        let due = start + UInt64(index) * 1_000_000_000 / UInt64(AudioFormat.speech.sampleRate)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { usleep(UInt32((due - now) / 1000)) }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "cubby-capture"
        self.thread = thread
        thread.start()
        return stream
    }

    /// Samples read from the source so far: the absolute index of the next chunk.
    public var samplesCaptured: Int64 { lock.withLock { captured } }

    public func stop() {
        lock.withLock { stopRequested = true }
    }

    private var isStopRequested: Bool { lock.withLock { stopRequested } }
}
