#if canImport(Glibc)
import Glibc
#endif
import CubbyCore

/// Appends 16-bit PCM to a WAV file and rewrites the header's sizes after every append, so the file is a
/// valid WAV holding everything written so far even if the process is killed between two writes.
public final class WAVWriter {
    public let path: String
    public let format: AudioFormat
    private var descriptor: Int32
    private var dataBytes = 0

    /// Creates (or truncates) the file.
    public init(path: String, format: AudioFormat) throws(CubbyError) {
        self.path = path
        self.format = format
        descriptor = try SystemCall.check("cannot create the WAV file", context: path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        try writeFully(WAVAudio.header(format: format, dataBytes: 0), at: 0)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    public var samplesWritten: Int { dataBytes / 2 }

    /// Appends samples, then updates the header so the file stays playable.
    public func append(_ samples: [Int16]) throws(CubbyError) {
        guard !samples.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(samples.count * 2)
        for s in samples { bytes.appendLittleEndian(UInt16(bitPattern: s)) }
        try writeFully(bytes, at: 44 + dataBytes)
        dataBytes += bytes.count
        try writeFully(WAVAudio.header(format: format, dataBytes: dataBytes), at: 0)
    }

    /// Flushes to stable storage and closes the file.
    public func close() throws(CubbyError) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        defer { Glibc.close(fd) }
        try SystemCall.check("fsync failed", context: path) { fsync(fd) }
    }

    private func writeFully(_ bytes: [UInt8], at position: Int) throws(CubbyError) {
        guard descriptor >= 0 else { throw CubbyError(.io, "WAV file already closed", context: path) }
        var done = 0
        while done < bytes.count {
            done += try SystemCall.check("write failed", context: path) {
                bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(position + done)) }
            }
        }
    }
}
