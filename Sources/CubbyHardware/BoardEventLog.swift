import CubbyCore
import Foundation

/// Records what a simulated board's actuators did and its sensors saw, one JSON object per line, so a test
/// or a maker can check that the listening light lit exactly while the toy listened.
public final class BoardEventLog: @unchecked Sendable {
    // @unchecked: the file handle is only used under `lock`.
    private let lock = NSLock()
    private let handle: FileHandle?
    public let path: String?

    /// Appends to `path`, creating it; nil logs nowhere.
    public init(path: String?) throws(CubbyError) {
        self.path = path
        guard let path else { handle = nil; return }
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw CubbyError(.io, "cannot create the folder for board events", context: path, underlying: error)
        }
        if !manager.fileExists(atPath: path) { _ = manager.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CubbyError(.io, "cannot open the board event log", context: path)
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle?.close() }

    public func record(_ device: String, _ state: String) {
        let line = "{\"time\":\(String(format: "%.3f", Date().timeIntervalSince1970)),\"device\":\"\(device)\",\"state\":\"\(state)\"}\n"
        lock.withLock { handle?.write(Data(line.utf8)) }
    }
}

/// An on/off output: an LED, the listening light.
public protocol Indicator: Sendable {
    var name: String { get }
    func set(_ on: Bool)
}

/// The simulated board's indicator: it only logs.
public struct LoggedIndicator: Indicator {
    public let name: String
    private let log: BoardEventLog

    public init(name: String, log: BoardEventLog) {
        self.name = name
        self.log = log
    }

    public func set(_ on: Bool) { log.record(name, on ? "on" : "off") }
}
