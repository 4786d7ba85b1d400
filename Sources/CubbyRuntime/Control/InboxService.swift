#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import Foundation
import Logging
import ServiceLifecycle

/// Installs persona packs dropped into the inbox folder (copied from a USB stick, or over SSH with scp).
///
/// A file is taken only once its size and modification time held still between two looks and it was last
/// written `settleSeconds` ago, so a copy in progress (even a stalled one) is not mistaken for a broken
/// pack. It is moved to `.processing/` while it is installed, then to `done/`; one that is refused moves to
/// `rejected/`, with `<name>.txt` beside it saying why. A pack found in `.processing/` at start (the toy
/// stopped while installing it) is rejected rather than tried again, so no pack can stop the toy twice.
struct InboxService: Service {
    let folder: String
    let interval: Duration
    let personas: PersonaManager
    let logger: Logger
    var settleSeconds = 3
    var processing: String { folder + "/.processing" }

    func run() async throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: processing)) ?? [] {
            logger.error("inbox: the toy stopped while installing a pack; it is not tried again", metadata: ["file": "\(name)"])
            move(processing + "/" + name, to: "rejected", name: name,
                 note: "The toy stopped while installing this pack, so it was not tried again. Copy it into the inbox again to retry.\n")
        }
        var seen: [String: (Int64, Int)] = [:]
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            seen = await look(previous: seen)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func look(previous: [String: (Int64, Int)]) async -> [String: (Int64, Int)] {
        var now: [String: (Int64, Int)] = [:]
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return now }
        for name in names.sorted() where name.hasSuffix(".cubbypack") && !name.hasPrefix(".") {
            var info = stat()
            guard lstat(folder + "/" + name, &info) == 0 else { continue }
            let signature = (Int64(info.st_size), info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec)
            now[name] = signature
            let age = time(nil) - info.st_mtim.tv_sec
            guard let before = previous[name], before == signature, age >= settleSeconds else { continue }
            now[name] = nil
            await take(name)
        }
        return now
    }

    private func take(_ name: String) async {
        try? FileManager.default.createDirectory(atPath: processing, withIntermediateDirectories: true)
        let path = processing + "/" + name
        guard rename(folder + "/" + name, path) == 0 else {
            logger.error("inbox: could not take the pack", metadata: ["file": "\(name)", "error": "\(SystemCall.lastError)"])
            return
        }
        do {
            let done = try await personas.install(file: path)
            logger.notice("inbox: \(name): \(done)")
            move(path, to: "done", name: name, note: nil)
        } catch {
            logger.error("inbox: refused a persona pack", metadata: ["file": "\(path)", "error": "\(error)"])
            move(path, to: "rejected", name: name, note: "\(error)\n")
        }
    }

    private func move(_ path: String, to subfolder: String, name: String, note: String?) {
        let target = folder + "/" + subfolder
        try? FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        var destination = target + "/" + name
        if FileManager.default.fileExists(atPath: destination) {
            destination = target + "/" + (name as NSString).deletingPathExtension + "-\(Int(Date().timeIntervalSince1970)).cubbypack"
        }
        if rename(path, destination) != 0 {
            // Never take the same file again and again: if it cannot be moved, it is removed.
            logger.error("inbox: could not move the pack; removing it", metadata: ["file": "\(path)"])
            unlink(path)
        }
        if let note { try? FileBytes.writeAtomically(Array(note.utf8), to: destination + ".txt") }
    }
}
