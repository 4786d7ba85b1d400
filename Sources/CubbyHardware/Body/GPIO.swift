import CGPIOD
import CubbyCore
import Foundation

/// An edge on a GPIO input line: high or low now, and when (milliseconds on the kernel's clock).
public struct GPIOEdge: Sendable, Equatable {
    public var high: Bool
    public var milliseconds: Int

    public init(high: Bool, milliseconds: Int) {
        self.high = high
        self.milliseconds = milliseconds
    }
}

/// A GPIO input's edges, one at a time: libgpiod on a board, a scripted list in tests.
public protocol GPIOInputLine: AnyObject, Sendable {
    /// The next edge, or nil when none came within `timeoutMilliseconds`.
    func nextEdge(timeoutMilliseconds: Int) throws(CubbyError) -> GPIOEdge?
}

/// A GPIO output (an LED).
public protocol GPIOOutputLine: AnyObject, Sendable {
    func set(_ high: Bool) throws(CubbyError)
}

/// One line of a GPIO chip through libgpiod (the kernel's character device), requested for the daemon as
/// an input with both edges, or as an output. Released when dropped.
public final class LibGPIOLine: GPIOInputLine, GPIOOutputLine, @unchecked Sendable {
    // @unchecked: the chip and line pointers are used by one thread at a time (a reader's, or the lights').
    private let chip: OpaquePointer
    private let line: OpaquePointer
    public let name: String

    public enum Direction: Sendable { case input, output }

    /// `chip` is a name, number or path ("gpiochip0", "0", "/dev/gpiochip0"); `offset` the line on it.
    public init(chip chipName: String, offset: Int, direction: Direction, consumer: String = "cubbyd") throws(CubbyError) {
        name = "\(chipName):\(offset)"
        guard let chip = gpiod_chip_open_lookup(chipName) else {
            throw CubbyError(.io, "cannot open the GPIO chip (\(String(cString: strerror(errno))))", context: chipName)
        }
        guard offset >= 0, let line = gpiod_chip_get_line(chip, UInt32(offset)) else {
            gpiod_chip_close(chip)
            throw CubbyError(.invalidConfiguration, "the GPIO chip has no line \(offset)", context: chipName)
        }
        let requested = direction == .input ? gpiod_line_request_both_edges_events(line, consumer) : gpiod_line_request_output(line, consumer, 0)
        guard requested == 0 else {
            gpiod_chip_close(chip)
            throw CubbyError(.io, "cannot request GPIO line \(offset) (\(String(cString: strerror(errno)))); is another program using it?", context: chipName)
        }
        self.chip = chip
        self.line = line
    }

    deinit {
        gpiod_line_release(line)
        gpiod_chip_close(chip)
    }

    public func nextEdge(timeoutMilliseconds: Int) throws(CubbyError) -> GPIOEdge? {
        var timeout = timespec(tv_sec: timeoutMilliseconds / 1000, tv_nsec: (timeoutMilliseconds % 1000) * 1_000_000)
        switch gpiod_line_event_wait(line, &timeout) {
        case 0: return nil
        case 1:
            var event = gpiod_line_event()
            guard gpiod_line_event_read(line, &event) == 0 else { throw CubbyError(.io, "cannot read a GPIO event", context: name) }
            return GPIOEdge(high: event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE),
                            milliseconds: Int(event.ts.tv_sec) * 1000 + Int(event.ts.tv_nsec) / 1_000_000)
        default:
            throw CubbyError(.io, "waiting for a GPIO event failed (\(String(cString: strerror(errno))))", context: name)
        }
    }

    public func set(_ high: Bool) throws(CubbyError) {
        guard gpiod_line_set_value(line, high ? 1 : 0) == 0 else { throw CubbyError(.io, "cannot set a GPIO line", context: name) }
    }
}

/// A button on a GPIO line, debounced: a press is the line going active (low for an active-low button)
/// and staying so; edges within `debounceMilliseconds` of the last accepted one are contact bounce.
public struct GPIOButton: Sendable {
    public let activeLow: Bool
    public let debounceMilliseconds: Int
    private var lastAccepted: Int?
    private var pressed = false

    public init(activeLow: Bool, debounceMilliseconds: Int) {
        self.activeLow = activeLow
        self.debounceMilliseconds = debounceMilliseconds
    }

    /// Whether `edge` is a new press.
    public mutating func isPress(_ edge: GPIOEdge) -> Bool {
        let active = edge.high != activeLow
        // Only presses are debounced: a release always counts, so a quick tap is never left "pressed".
        if active, let last = lastAccepted, edge.milliseconds - last < debounceMilliseconds { return false }
        guard active != pressed else { return false }
        pressed = active
        lastAccepted = edge.milliseconds
        return active
    }
}

/// A board control on a GPIO line (`[inputs.talk_button] kind = "gpio"`): each debounced press goes to the
/// board's inbox. Read on a thread of its own.
public final class GPIOInputReader: BoardInputReader, @unchecked Sendable {
    // @unchecked: immutable after init; the thread owns the line.
    public let input: BoardInput
    let line: any GPIOInputLine
    let button: GPIOButton
    private let inbox: InputInbox

    public init(input: BoardInput, line: any GPIOInputLine, activeLow: Bool, debounceMilliseconds: Int, inbox: InputInbox) {
        self.input = input
        self.line = line
        button = GPIOButton(activeLow: activeLow, debounceMilliseconds: debounceMilliseconds)
        self.inbox = inbox
    }

    public func start() {
        let (line, input, inbox, initial) = (line, input, inbox, button)
        let thread = Thread {
            var button = initial
            while true {
                do {
                    guard let edge = try line.nextEdge(timeoutMilliseconds: 1_000) else { continue }
                    if button.isPress(edge) { inbox.post(input) }
                } catch {
                    // A line that fails now may come back (a loose connector): do not spin.
                    usleep(500_000)
                }
            }
        }
        thread.name = "cubby-gpio-\(input.rawValue)"
        thread.start()
    }
}
