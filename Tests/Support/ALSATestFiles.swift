import Foundation

/// Files for the real libasound in tests: PCMs defined by ALSA's `file` plugin over the `null` PCM, so
/// capture returns the bytes of `infile` and playback writes the samples to `speaker.raw`. No sound card needed.
public enum ALSATestFiles {
    public static func rawBytes(_ samples: [Int16]) -> Data {
        samples.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    public static func samples(inRaw path: String) throws -> [Int16] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    }

    public static func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-alsa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    public static func writeConfig(in folder: String, infile: String) throws -> String {
        let path = folder + "/asound.conf"
        try """
            pcm.mic { type file slave { pcm { type null } } file "/dev/null" infile "\(infile)" }
            pcm.speaker { type file slave { pcm { type null } } file "\(folder)/speaker.raw" perm 0644 }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Counts calls from any thread.
public final class Counter: @unchecked Sendable {
    // @unchecked: `count` is read and written under `lock`.
    private let lock = NSLock()
    private var count = 0
    public init() {}
    @discardableResult
    public func next() -> Int { lock.withLock { defer { count += 1 }; return count } }
    public var value: Int { lock.withLock { count } }
}
