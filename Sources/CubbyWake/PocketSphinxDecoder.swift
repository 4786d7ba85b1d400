import CPocketSphinx
import CubbyCore
import Foundation

/// Starting a PocketSphinx decoder, the one way every engine here does it: `cmd_ln_init` is variadic and
/// cannot be called from Swift, so options go through an argv of `strdup`'d strings.
public enum PocketSphinxDecoder {
    /// A decoder from command-line options (`-hmm …`, `-dict …`); logging goes to /dev/null. The caller
    /// owns the decoder (`ps_free`). `failure` says what could not be loaded, for the error.
    public static func make(options: [String], code: CubbyError.Code = .wake, context: String, failure: String) throws(CubbyError) -> OpaquePointer {
        // The library's log is one process-wide FILE*: `-logfn` made every ps_init fclose the previous
        // one, so two decoders starting at once (a reload, or several daemons in one test process)
        // closed it twice or logged into a closed file, corrupting the heap. Logging is switched off
        // once for the process instead, and decoders start one at a time.
        _ = quietLog
        var argv: [UnsafeMutablePointer<CChar>?] = (["cubby"] + options).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        startLock.lock()
        defer { startLock.unlock() }
        guard let config = cmd_ln_parse_r(nil, ps_args(), Int32(argv.count), &argv, 1) else {
            throw CubbyError(code, "PocketSphinx rejected its configuration", context: context)
        }
        defer { cmd_ln_free_r(config) }
        guard let decoder = ps_init(config) else { throw CubbyError(code, failure, context: context) }
        return decoder
    }

    private static let quietLog: Void = err_set_logfp(nil)
    private static let startLock = NSLock()

    /// Writes the small files a decoder reads at start (dictionary, keyphrases, grammar) into a folder of
    /// their own, runs `body` with the folder, and removes it: PocketSphinx reads them only while starting.
    static func withScratchFiles<T>(named prefix: String, _ files: [String: [String]],
                                    _ body: (String) throws(CubbyError) -> T) throws(CubbyError) -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CubbyError(.wake, "cannot create a working folder", context: folder, underlying: error)
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, lines) in files {
            try FileBytes.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: folder + "/" + name)
        }
        return try body(folder)
    }
}
