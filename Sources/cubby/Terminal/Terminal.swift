#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Rainbow

/// The few terminal moves the setup wizard and the menu need, for an ordinary terminal over SSH: clear
/// screens, a list chosen with the arrow keys (or its number), a line of input, a hidden PIN. Colours come
/// from Rainbow, which leaves them out without a TTY. Without a TTY on input (a script, a pipe) a list is
/// answered by its number on a line, so every screen still works.
final class Terminal {
    let interactive = isatty(STDIN_FILENO) == 1
    private var saved = termios()
    private var raw = false

    /// A key, as the lists read it.
    enum Key: Equatable {
        case up, down, enter, escape, quit, digit(Int), other
    }

    deinit { leaveRawMode() }

    /// Columns and rows; 80×24 when the terminal does not say.
    var size: (columns: Int, rows: Int) {
        var window = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0 else { return (80, 24) }
        return (Int(window.ws_col), Int(window.ws_row))
    }

    func clear() {
        guard isatty(STDOUT_FILENO) == 1 else { return print("") }
        print("\u{1B}[2J\u{1B}[H", terminator: "")
    }

    func title(_ text: String) {
        clear()
        print(text.bold.cyan)
        print(String(repeating: "─", count: min(size.columns, 78)))
    }

    /// Lets the user pick one of `options` (arrow keys and Enter, or its number); nil for Esc or q.
    func choose(_ prompt: String, _ options: [String], selected start: Int = 0) -> Int? {
        guard interactive else { return chooseByNumber(prompt, options) }
        var selected = min(max(start, 0), options.count - 1)
        print(prompt)
        enterRawMode()
        defer { leaveRawMode() }
        var first = true
        while true {
            if !first { print("\u{1B}[\(options.count)A", terminator: "") }
            first = false
            for (index, option) in options.enumerated() {
                let line = " \(index + 1 < 10 ? "\(index + 1)" : " ") \(option)"
                print("\u{1B}[2K" + (index == selected ? ("›" + line).swap : " " + line), terminator: "\r\n")
            }
            fflush(nil)
            switch readKey() {
            case .up: selected = (selected + options.count - 1) % options.count
            case .down: selected = (selected + 1) % options.count
            case .enter: return selected
            case .digit(let number) where (1...options.count).contains(number): return number - 1
            case .escape, .quit: return nil
            default: break
            }
        }
    }

    private func chooseByNumber(_ prompt: String, _ options: [String]) -> Int? {
        print(prompt)
        for (index, option) in options.enumerated() { print("  \(index + 1) \(option)") }
        while true {
            print("number (q to go back): ", terminator: "")
            fflush(nil)
            guard let line = readLine()?.trimmingCharacters(in: .whitespaces), line != "q" else { return nil }
            if let number = Int(line), (1...options.count).contains(number) { return number - 1 }
        }
    }

    /// A line of input; `fallback` when it is left empty. nil at the end of input.
    func ask(_ prompt: String, default fallback: String? = nil) -> String? {
        print(prompt + (fallback.map { " [\($0)]" } ?? "") + ": ", terminator: "")
        fflush(nil)
        guard let line = readLine() else { return nil }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? (fallback ?? "") : trimmed
    }

    /// Input that is not shown (a PIN, a key).
    func askSecret(_ prompt: String) -> String? {
        guard interactive else { return ask(prompt) }
        guard let entered = getpass(prompt + ": ") else { return nil }
        return String(cString: entered)
    }

    func pause(_ message: String = "Press Enter to go on.") {
        print("\n" + message.dim, terminator: "")
        fflush(nil)
        _ = readLine()
    }

    func say(_ text: String) { print(text) }
    func good(_ text: String) { print(text.green) }
    func problem(_ text: String) { print(text.red) }

    // MARK: Raw keys

    private func enterRawMode() {
        guard !raw, tcgetattr(STDIN_FILENO, &saved) == 0 else { return }
        var settings = saved
        // ISIG off too: Ctrl-C in a list is read as "back" (byte 3), and never leaves the terminal raw.
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &settings)
        print("\u{1B}[?25l", terminator: "")
        raw = true
    }

    private func leaveRawMode() {
        guard raw else { return }
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        print("\u{1B}[?25h", terminator: "")
        fflush(nil)
        raw = false
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    private func readKey() -> Key {
        guard let byte = readByte() else { return .quit }
        switch byte {
        case 10, 13: return .enter
        case UInt8(ascii: "q"), 3, 4: return .quit
        case UInt8(ascii: "k"): return .up
        case UInt8(ascii: "j"): return .down
        case UInt8(ascii: "1")...UInt8(ascii: "9"): return .digit(Int(byte - UInt8(ascii: "0")))
        case 27:
            // An arrow is ESC [ A/B (or ESC O A/B); a lone ESC is the user leaving. Wait briefly for the rest.
            var poller = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0, let next = readByte(), next == UInt8(ascii: "[") || next == UInt8(ascii: "O"),
                  let final = readByte() else { return .escape }
            switch final {
            case UInt8(ascii: "A"): return .up
            case UInt8(ascii: "B"): return .down
            default: return .other
            }
        default: return .other
        }
    }
}
