#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whole-file reads and crash-safe whole-file writes.
public enum FileBytes {
    public static func read(at path: String) throws(CubbyError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw CubbyError(.io, "file \(reason)", context: path)
        }
        return [UInt8](data)
    }

    public static func readText(at path: String) throws(CubbyError) -> String {
        let bytes = try read(at: path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CubbyError(.io, "file is not valid UTF-8 text", context: path)
        }
        return text
    }

    /// Writes to a temporary file beside `path`, syncs it, then renames it over `path`, so a reader or a
    /// crash sees either the old file or the new one, never half of one.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(CubbyError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CubbyError(.io, "cannot create: \(errnoText())", context: temporary) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = errnoText()
                close(fd)
                unlink(temporary)
                throw CubbyError(.io, "write failed: \(reason)", context: temporary)
            }
            offset += written
        }
        if fsync(fd) != 0 {
            let reason = errnoText()
            close(fd)
            unlink(temporary)
            throw CubbyError(.io, "fsync failed: \(reason)", context: temporary)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw CubbyError(.io, "cannot replace: \(reason)", context: path)
        }
    }

    public static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
