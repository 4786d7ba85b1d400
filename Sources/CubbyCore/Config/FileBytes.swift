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
    /// The folder is synced after the rename, so the new name survives a power cut too.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(CubbyError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = try SystemCall.check("cannot create the file", context: temporary) { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        do {
            try writeAndSync(bytes, to: fd, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        do {
            try SystemCall.check("cannot replace the file", context: path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        try syncFolder((path as NSString).deletingLastPathComponent)
    }

    /// Writes a new file (which must not exist) and syncs it; for files inside a staging folder that is
    /// renamed into place as a whole.
    public static func writeNew(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(CubbyError) {
        let fd = try SystemCall.check("cannot create the file", context: path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        defer { close(fd) }
        try writeAndSync(bytes, to: fd, path: path)
    }

    /// Writes all of `bytes` (a short write is continued) and syncs the file to the disk.
    private static func writeAndSync(_ bytes: [UInt8], to fd: Int32, path: String) throws(CubbyError) {
        var offset = 0
        while offset < bytes.count {
            offset += try SystemCall.check("write failed", context: path) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            }
        }
        try SystemCall.check("fsync failed", context: path) { fsync(fd) }
    }

    /// Syncs a folder's entries (names created, renamed or removed in it) to the disk.
    public static func syncFolder(_ folder: String) throws(CubbyError) {
        let fd = try SystemCall.check("cannot open the folder", context: folder) { open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try SystemCall.check("fsync failed", context: folder) { fsync(fd) }
    }

}
