import CubbyCore
import Foundation
import Logging
import Synchronization

/// The kernel's input events (`struct input_event` on a 64-bit board: a timeval, then type, code and
/// value), read from `/dev/input/eventN`, or from any file or pipe of the same bytes in tests.
public enum EvdevEvents {
    public struct Event: Sendable, Equatable {
        public var milliseconds: Int
        public var type: UInt16
        public var code: UInt16
        public var value: Int32

        public init(milliseconds: Int, type: UInt16, code: UInt16, value: Int32) {
            self.milliseconds = milliseconds
            self.type = type
            self.code = code
            self.value = value
        }
    }

    /// EV_KEY: a key or button (BTN_0 is 256); value 1 pressed, 0 released, 2 held.
    /// The layout is a 64-bit kernel's (arm64, x86-64): a 64-bit board OS is required.
    public static let key: UInt16 = 1
    public static let size = 24

    /// Whole events from `bytes`; a partial one at the end is left for the next read.
    public static func parse(_ bytes: [UInt8]) -> (events: [Event], rest: [UInt8]) {
        var events: [Event] = []
        var offset = 0
        func integer<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            var value: T = 0
            for index in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: bytes[at + index]) << (8 * index) }
            return value
        }
        while offset + size <= bytes.count {
            // Garbage (a file that is not an input device) must not trap: the time is clamped.
            let seconds = Int(clamping: integer(offset, Int64.self)).clamped(to: 0...Int(Int32.max))
            let microseconds = Int(clamping: integer(offset + 8, Int64.self)).clamped(to: 0...999_999)
            events.append(Event(milliseconds: seconds * 1000 + microseconds / 1000, type: integer(offset + 16, UInt16.self),
                                code: integer(offset + 18, UInt16.self), value: integer(offset + 20, Int32.self)))
            offset += size
        }
        return (events, Array(bytes[offset...]))
    }

    /// The bytes of one event, as the kernel writes it (for tests and fake devices).
    public static func bytes(_ event: Event) -> [UInt8] {
        func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] { (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        return little(Int64(event.milliseconds / 1000)) + little(Int64(event.milliseconds % 1000 * 1000)) + little(event.type) + little(event.code) + little(event.value)
    }
}

extension EvdevEvents {
    /// Reads `path` on a thread of its own until the process ends, handing each whole event to `each`; a
    /// device that goes away (or a pipe whose writer left) is opened again.
    static func follow(_ path: String, thread name: String, logger: Logger, _ each: @escaping @Sendable (Event) -> Void) {
        let thread = Thread {
            var complained = false
            while true {
                guard case .success(let fd) = SystemCall.run({ open(path, O_RDONLY) }) else {
                    // Said once, not every second: the device may be unplugged for a long time.
                    if !complained { logger.error("cannot open the input device; trying again every second", metadata: ["path": "\(path)"]) }
                    complained = true
                    sleep(1)
                    continue
                }
                complained = false
                var status = stat()
                let regularFile = fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: size * 16)
                while true {
                    guard case .success(let count) = SystemCall.run({ read(fd, &buffer, buffer.count) }), count > 0 else { break }
                    let (events, rest) = parse(pending + buffer.prefix(count))
                    pending = rest
                    events.forEach(each)
                }
                close(fd)
                // A plain file is read once (replaying it would repeat its presses); a device or pipe again.
                if regularFile {
                    logger.error("the input is a plain file, not an input device; read once", metadata: ["path": "\(path)"])
                    return
                }
                usleep(100_000)
            }
        }
        thread.name = name
        thread.start()
    }
}

/// Presses of one key, debounced: a press within `debounceMilliseconds` of the last counts once.
public struct KeyPresses: Sendable {
    public let code: UInt16
    public let debounceMilliseconds: Int
    private var lastPress: Int?

    public init(code: UInt16, debounceMilliseconds: Int) {
        self.code = code
        self.debounceMilliseconds = debounceMilliseconds
    }

    /// Whether `event` is a new press of the key.
    public mutating func isPress(_ event: EvdevEvents.Event) -> Bool {
        guard event.type == EvdevEvents.key, event.code == code, event.value == 1 else { return false }
        if let last = lastPress, event.milliseconds - last < debounceMilliseconds { return false }
        lastPress = event.milliseconds
        return true
    }
}

/// A board control on an input device (`[inputs.talk_button] kind = "evdev"`): each debounced press of its
/// key is posted to the board's inbox. Read on a thread of its own; a device that goes away is reopened.
public final class EvdevInputReader: BoardInputReader, @unchecked Sendable {
    // @unchecked: immutable after init; the thread owns the file descriptor.
    public let input: BoardInput
    public let path: String
    let code: UInt16
    let debounceMilliseconds: Int
    private let inbox: InputInbox
    private let logger: Logger

    public init(input: BoardInput, path: String, code: Int, debounceMilliseconds: Int, inbox: InputInbox, logger: Logger) {
        self.input = input
        self.path = path
        self.code = UInt16(code)
        self.debounceMilliseconds = debounceMilliseconds
        self.inbox = inbox
        self.logger = logger
    }

    public func start() {
        let (input, inbox) = (input, inbox)
        let presses = Mutex(KeyPresses(code: code, debounceMilliseconds: debounceMilliseconds))
        EvdevEvents.follow(path, thread: "cubby-evdev-\(input.rawValue)", logger: logger) { event in
            if presses.withLock({ $0.isPress(event) }) { inbox.post(input) }
        }
    }
}

/// A touch pad in the plush as a body sensor: its key's on and off from an input device (a capacitive touch
/// controller's driver, e.g. an MPR121 as an input device), handed to `changed` as they come. The body
/// recognises pats and hugs from them.
public final class EvdevTouchReader: @unchecked Sendable {
    // @unchecked: immutable after init; the thread owns the file descriptor.
    public let path: String
    let code: UInt16
    private let logger: Logger

    public init(path: String, code: Int, logger: Logger) {
        self.path = path
        self.code = UInt16(code)
        self.logger = logger
    }

    /// Reads on a thread of its own until the process ends; a device that goes away is reopened.
    public func start(_ changed: @escaping @Sendable (Bool) -> Void) {
        let code = code
        EvdevEvents.follow(path, thread: "cubby-touch", logger: logger) { event in
            if event.type == EvdevEvents.key && event.code == code && event.value != 2 { changed(event.value == 1) }
        }
    }
}

extension Int {
    func clamped(to range: ClosedRange<Int>) -> Int { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
