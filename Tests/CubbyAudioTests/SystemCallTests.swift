import CubbyAudio
import CubbyCore
import Foundation
import SystemPackage
import Testing

/// The one funnel for system calls: interrupted calls are made again, failures keep their errno.
@Suite struct SystemCallTests {
    @Test func anInterruptedCallIsMadeAgainAndAFailureKeepsItsErrno() throws {
        var calls = 0
        let result = SystemCall.run { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 42
        }
        #expect(calls == 3)
        #expect(try result.get() == 42)
        #expect(SystemCall.run { () -> Int32 in errno = ENOSPC; return -1 } == .failure(.noSpace))
    }

    @Test func aFailedFileOperationSaysWhatFailedWhereAndWhy() throws {
        let path = "/nonexistent-\(UUID().uuidString)/speaker.wav"
        do {
            _ = try WAVFileWriter(path: path, sampleRate: 16_000)
            Issue.record("a WAV file was created in a folder that does not exist")
        } catch {
            #expect(error.underlying as? Errno == .noSuchFileOrDirectory)
            #expect(error.description.hasPrefix(path + ": cannot create the WAV file ("), "\(error)")
        }
    }
}
