import CubbyCore
import Foundation
import Logging

/// The simulated board's buttons: a named pipe per control. Each line written to it is one press
/// (`echo press > talk-button`), so a test, a demo script or a person at a terminal can press the button.
/// The pipe is created when missing and read on a thread of its own, reopened after each writer leaves.
public final class FIFOInputReader: BoardInputReader, @unchecked Sendable {
    // @unchecked: immutable after init; the thread owns the file descriptor.
    public let input: BoardInput
    public let path: String
    private let inbox: InputInbox
    private let logger: Logger

    public init(input: BoardInput, path: String, inbox: InputInbox, logger: Logger) throws(CubbyError) {
        self.input = input
        self.path = path
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFIFO else {
                throw CubbyError(.invalidConfiguration, "\(input.rawValue) must be a named pipe, and this is another kind of file", context: path)
            }
        } else {
            try SystemCall.check("cannot create the \(input.rawValue) pipe", code: .invalidConfiguration, context: path) { mkfifo(path, 0o600) }
        }
        self.inbox = inbox
        self.logger = logger
    }

    /// Starts reading the pipe on a thread of its own (the board's input service does, when the daemon runs).
    public func start() {
        let (path, input, inbox, logger) = (path, input, inbox, logger)
        let thread = Thread {
            while true {
                // Opening for reading and writing keeps the pipe open across writers and never sees EOF.
                let opened = SystemCall.run { open(path, O_RDWR) }
                guard case .success(let fd) = opened else {
                    logger.error("cannot open the input pipe", metadata: ["input": "\(input.rawValue)", "path": "\(path)", "error": "\(opened)"])
                    sleep(1)
                    continue
                }
                var buffer = [UInt8](repeating: 0, count: 256)
                while true {
                    guard case .success(let count) = SystemCall.run({ read(fd, &buffer, buffer.count) }), count > 0 else { break }
                    for byte in buffer.prefix(count) where byte == UInt8(ascii: "\n") {
                        inbox.post(input)
                    }
                }
                close(fd)
            }
        }
        thread.name = "cubby-input-\(input.rawValue)"
        thread.start()
    }
}
