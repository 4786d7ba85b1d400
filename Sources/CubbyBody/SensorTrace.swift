import CubbyCore
import Foundation

/// A file of timed sensor events for the simulated board, so that makers and tests can replay a hug or a
/// fall: one JSON object a line, in time order —
///
///     {"ms": 0, "touch": true}
///     {"ms": 20, "accel": [0.1, -0.2, 9.8]}
///     {"ms": 5000, "battery": 18}
///
/// Blank lines and lines starting with `#` are skipped. Errors name the file and the line.
public enum SensorTrace {
    /// One line of the file, strictly typed: `"touch": 1` is an error, not a touch.
    struct Line: Decodable {
        var ms: Int
        var touch: Bool?
        var accel: [Double]?
        var battery: Int?
    }

    public static let largestFile = 16 * 1024 * 1024
    /// A trace is at most a day long.
    public static let longestMilliseconds = 86_400_000

    public static func load(path: String) throws(CubbyError) -> [SensorEvent] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CubbyError(.io, "the sensor trace cannot be read", context: path)
        }
        guard data.count <= largestFile else { throw CubbyError(.invalidConfiguration, "the sensor trace is over 16 MB", context: path) }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws(CubbyError) -> [SensorEvent] {
        var events: [SensorEvent] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let place = "\(file):\(number + 1)"
            let object: Line
            do { object = try JSONDecoder().decode(Line.self, from: Data(line.utf8)) } catch {
                throw CubbyError(.invalidConfiguration, "not a JSON object with \"ms\" and one of \"touch\" (true/false), \"accel\" ([x, y, z]) or \"battery\" (0-100)", context: place)
            }
            let milliseconds = object.ms
            guard (0...Self.longestMilliseconds).contains(milliseconds) else {
                throw CubbyError(.invalidConfiguration, "\"ms\" must be a whole number of milliseconds, 0 to 86400000 (a day)", context: place)
            }
            if let previous = events.last, milliseconds < previous.milliseconds {
                throw CubbyError(.invalidConfiguration, "events must be in time order (\(milliseconds) ms after \(previous.milliseconds) ms)", context: place)
            }
            let reading: SensorEvent.Reading
            switch (object.touch, object.accel, object.battery) {
            case (let touch?, nil, nil):
                reading = .touch(touch)
            case (nil, let values?, nil):
                guard values.count == 3, values.allSatisfy({ $0.isFinite && abs($0) < 1_000 }) else {
                    throw CubbyError(.invalidConfiguration, "\"accel\" must be [x, y, z] in m/s²", context: place)
                }
                reading = .acceleration(x: values[0], y: values[1], z: values[2])
            case (nil, nil, let battery?):
                guard (0...100).contains(battery) else { throw CubbyError(.invalidConfiguration, "\"battery\" must be 0-100", context: place) }
                reading = .battery(percent: battery)
            default:
                throw CubbyError(.invalidConfiguration, "each line holds exactly one of \"touch\" (true/false), \"accel\" ([x, y, z]) or \"battery\" (0-100)", context: place)
            }
            events.append(SensorEvent(milliseconds: milliseconds, reading: reading))
        }
        return events
    }
}
