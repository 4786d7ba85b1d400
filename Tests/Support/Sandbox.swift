import CubbyAudio
import CubbyCore
import Foundation
import GRDB

/// A throw-away toy: a board folder reading a sample WAV and writing the toy's voice to a WAV, the
/// package's example persona, a data folder and a `cubbyd.toml` tying them together.
public struct Sandbox: Sendable {
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    public static func sample(_ name: String) -> String { "\(packageRoot)/Hardware/sim/samples/\(name).wav" }
    public static let skyQuestion = sample("hey-teddy-why-is-the-sky-blue")
    public static let matchQuestion = sample("hey-teddy-how-do-i-light-a-match")

    public let folder: String
    public var configPath: String { folder + "/cubbyd.toml" }
    public var outputPath: String { folder + "/speaker.wav" }
    public var eventsPath: String { folder + "/events.jsonl" }
    public var databasePath: String { folder + "/data/cubby.sqlite" }

    /// `cloud`: the base URL, or nil for no cloud. `extra` is appended to the config file verbatim.
    public init(cloud: String?, input: String = Sandbox.skyQuestion, cloudExtra: String = "", extra: String = "", boardExtra: String = "",
         deviceExtra: String = "") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/board", withIntermediateDirectories: true)
        try """
            format = 1
            name = "test-sim"
            [audio.input]
            kind = "wav"
            path = "\(input)"
            [audio.output]
            kind = "wav"
            path = "\(outputPath)"
            [events]
            log = "\(eventsPath)"
            \(boardExtra)
            """.write(toFile: folder + "/board/board.toml", atomically: true, encoding: .utf8)
        try write(config: """
            [device]
            board = "board"
            persona = "\(Sandbox.packageRoot)/Personas/teddy"
            data_dir = "data"
            \(deviceExtra)
            [cloud]
            base_url = "\(cloud ?? "")"
            allow_insecure_http = true
            \(cloudExtra.contains("connect_timeout_ms") ? "" : "connect_timeout_ms = 5000  # a loaded test machine is slow to accept")
            \(cloudExtra)
            [log]
            level = "debug"
            \(extra)
            """)
    }

    public func write(config: String) throws {
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// The listening light's states, in order, from the board's event log.
    public func lightStates(_ device: String = "listening_light") throws -> [String] {
        guard FileManager.default.fileExists(atPath: eventsPath) else { return [] }
        return try String(contentsOfFile: eventsPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["device"] as? String == device ? object?["state"] as? String : nil
        }
    }

    /// Writes a mono 16 kHz WAV made of sample files and silences (seconds), for scripted sessions.
    public func compose(_ name: String, _ parts: [Either]) throws -> String {
        var samples: [Int16] = []
        for part in parts {
            switch part {
            case .sample(let path): samples += try WAVAudio.read(contentsOf: path).mono()
            case .slice(let path, let seconds): samples += try WAVAudio.read(contentsOf: path).mono().prefix(Int(seconds * 16_000))
            case .silence(let seconds): samples += [Int16](repeating: 0, count: Int(seconds * 16_000))
            }
        }
        let path = folder + "/" + name
        try Data(WAVAudio(format: .speech, samples: samples).encoded()).write(to: URL(fileURLWithPath: path))
        return path
    }

    public enum Either: Sendable {
        case sample(String)
        /// The first `seconds` of a sample.
        case slice(String, seconds: Double)
        case silence(Double)
    }

    /// Rows of the store, read with plain SQL as a parent's tool would.
    public func rows(_ sql: String) throws -> [Row] {
        let queue = try DatabaseQueue(path: databasePath)
        defer { try? queue.close() }
        return try queue.read { try Row.fetchAll($0, sql: sql) }
    }

    public func outputAudio() throws -> WAVAudio { try WAVAudio.read(contentsOf: outputPath) }
}
