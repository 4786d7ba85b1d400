import CubbyCore
import CubbyHardware
import Foundation
import Logging
import Testing

@Suite struct BoardInputTests {
    static func board(_ extra: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-board-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "format = 1\nname = \"t\"\n[audio.input]\nkind = \"wav\"\npath = \"in.wav\"\n\(extra)\n"
            .write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)
        return folder
    }

    @Test(arguments: [
        ("[inputs.talk_button]\nkind = \"gpio\"\nchip = \"gpiochip0\"", "[inputs.talk_button] line", "is required"),
        ("[inputs.talk_button]\nkind = \"gpio\"\nline = 5000", "[inputs.talk_button] line", "between 0 and 1023"),
        ("[inputs.touch_pad]\nkind = \"fifo\"", "[inputs.touch_pad] path", "required"),
        ("[audio.front_end]\nnoise_suppression_db = 5", "[audio.front_end] noise_suppression_db", "between -60 and 0"),
        ("[audio.front_end]\necho_tail_ms = 5000", "[audio.front_end] echo_tail_ms", "between 20 and 1000"),
    ])
    func aBadInputOrFrontEndNamesTheKey(extra: String, key: String, problem: String) throws {
        let folder = try Self.board(extra)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            _ = try BoardDefinition.load(folder: folder)
        } throws: { error in
            let text = "\(error)"
            return text.contains(key) && text.contains(problem) && text.contains("board.toml")
        }
    }

    @Test func aButtonPathThatIsNotAPipeIsRefusedAndLeftAlone() throws {
        let folder = try Self.board("")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/talk-button"
        try "keep me".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try FIFOInputReader(input: .talkButton, path: path, inbox: InputInbox(), logger: Logger(label: "test"))
        } throws: { error in "\(error)".contains("named pipe") && "\(error)".contains(path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test func aLineInThePipeIsOnePress() async throws {
        let folder = try Self.board("")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inbox = InputInbox()
        let reader = try FIFOInputReader(input: .touchPad, path: folder + "/touch", inbox: inbox, logger: Logger(label: "test"))
        reader.start()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: reader.path))
        try handle.write(contentsOf: Data("press\npress\n".utf8))
        try handle.close()
        // A generous budget: the reader thread may wait its turn on a machine busy with other tests.
        let presses = await withTaskGroup(of: [BoardInput].self) { group in
            group.addTask {
                var received: [BoardInput] = []
                for await press in inbox.presses.prefix(2) { received.append(press) }
                return received
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(15))
                return []
            }
            let first = await group.next() ?? []
            group.cancelAll()
            return first
        }
        #expect(presses == [.touchPad, .touchPad])
    }
}

/// A button on an input device: the kernel's events read from a pipe of the same bytes, the same code a
/// board runs against `/dev/input/eventN`.
@Suite struct EvdevInputTests {
    static func event(_ milliseconds: Int, code: UInt16 = 256, value: Int32) -> [UInt8] {
        EvdevEvents.bytes(.init(milliseconds: milliseconds, type: EvdevEvents.key, code: code, value: value))
    }

    @Test func eventsAreParsedWholeAndPressesDebounced() {
        let bytes = Self.event(1_000, value: 1) + Self.event(1_030, value: 0) + Self.event(1_040, value: 1) + Self.event(1_300, value: 1)
            + Self.event(1_400, code: 257, value: 1) + Self.event(1_500, value: 2) + Array(Self.event(2_000, value: 1).prefix(10))
        let (events, rest) = EvdevEvents.parse(bytes)
        #expect(events.count == 6 && rest.count == 10, "a partial event waits for the next read")
        #expect(events[0] == .init(milliseconds: 1_000, type: 1, code: 256, value: 1))
        var presses = KeyPresses(code: 256, debounceMilliseconds: 50)
        #expect(events.map { presses.isPress($0) } == [true, false, false, true, false, false],
                "a bounce 40 ms later is the same press; another key, a release and a repeat are not presses")
    }

    @Test func aPressOnTheDeviceReachesTheInbox() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let inbox = InputInbox()
        EvdevInputReader(input: .talkButton, path: path, code: 256, debounceMilliseconds: 50, inbox: inbox,
                         logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }).start()
        let writer = FileHandle(forWritingAtPath: path)!
        writer.write(Data(Self.event(5_000, value: 1) + Self.event(5_100, value: 0)))
        try writer.close()
        var iterator = inbox.presses.makeAsyncIterator()
        #expect(await iterator.next() == .talkButton)
    }
}


/// A button on a GPIO line: debounced edges from a scripted line (the same reader a board runs on
/// libgpiod), and libgpiod's own refusal of a chip that is not there.
@Suite struct GPIOInputTests {
    final class ScriptedLine: GPIOInputLine, @unchecked Sendable {
        private let lock = NSLock()
        private var edges: [GPIOEdge]
        init(_ edges: [GPIOEdge]) { self.edges = edges }
        func nextEdge(timeoutMilliseconds: Int) throws(CubbyError) -> GPIOEdge? {
            let next = lock.withLock { edges.isEmpty ? nil : edges.removeFirst() }
            if next == nil { usleep(UInt32(timeoutMilliseconds) * 1_000) }
            return next
        }
    }

    @Test func anActiveLowButtonsBouncesAreOnePress() {
        var button = GPIOButton(activeLow: true, debounceMilliseconds: 30)
        let edges = [GPIOEdge(high: false, milliseconds: 100), GPIOEdge(high: true, milliseconds: 104), GPIOEdge(high: false, milliseconds: 109),
                     GPIOEdge(high: true, milliseconds: 300), GPIOEdge(high: false, milliseconds: 600), GPIOEdge(high: false, milliseconds: 900)]
        #expect(edges.map { button.isPress($0) } == [true, false, false, false, true, false],
                "the bounce within 30 ms is ignored, a release is not a press, and a second low without a release is not a new press")
    }

    @Test func aQuickTapsReleaseInsideTheDebounceStillCounts() {
        var button = GPIOButton(activeLow: true, debounceMilliseconds: 30)
        let edges = [GPIOEdge(high: false, milliseconds: 100), GPIOEdge(high: true, milliseconds: 110), GPIOEdge(high: false, milliseconds: 200)]
        #expect(edges.map { button.isPress($0) } == [true, false, true], "released within 30 ms, then pressed again: two presses")
    }

    @Test func pressesOnTheLineReachTheInbox() async {
        let inbox = InputInbox()
        let line = ScriptedLine([GPIOEdge(high: false, milliseconds: 10), GPIOEdge(high: true, milliseconds: 12), GPIOEdge(high: true, milliseconds: 200),
                                 GPIOEdge(high: false, milliseconds: 400)])
        GPIOInputReader(input: .touchPad, line: line, activeLow: true, debounceMilliseconds: 20, inbox: inbox).start()
        var presses = inbox.presses.makeAsyncIterator()
        #expect(await presses.next() == .touchPad)
        #expect(await presses.next() == .touchPad)
    }

    @Test func aChipThatIsNotThereIsNamedInTheError() {
        #expect { _ = try LibGPIOLine(chip: "gpiochip-not-here", offset: 17, direction: .input) } throws: { error in
            "\(error)".contains("gpiochip-not-here") && "\(error)".contains("GPIO chip")
        }
    }
}
