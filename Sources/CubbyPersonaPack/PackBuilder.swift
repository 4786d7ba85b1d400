#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import CubbyPersona
import Foundation

/// Builds a `.cubbypack` from a source folder: every regular file in it (hidden files skipped), a manifest
/// of their digests, the maker's signature, one gzip-compressed ustar archive.
public enum PackBuilder {
    public struct Result: Sendable {
        public var bytes: [UInt8]
        public var manifest: PackManifest
        public var persona: Persona
        public var skipped: [String]
    }

    /// `key` nil builds an unsigned pack, which only a device in developer mode installs.
    public static func build(folder: String, key: MakerKey?, limits: PackLimits = .standard) throws(CubbyError) -> Result {
        let persona = try PersonaPackLoader.load(directory: folder)
        var skipped: [String] = []
        let paths = try collect(folder: folder, relative: "", skipped: &skipped)
        guard paths.count <= limits.maximumFiles - 2 else { throw CubbyError(.persona, "holds more than \(limits.maximumFiles - 2) files", context: folder) }
        var entries: [TarArchive.Entry] = []
        var files: [PackManifest.File] = []
        var total = 0
        for path in paths {
            let bytes = try FileBytes.read(at: folder + "/" + path)
            guard bytes.count <= limits.maximumFileBytes else {
                throw CubbyError(.persona, "is \(bytes.count) bytes; the limit for one file is \(limits.maximumFileBytes)", context: folder + "/" + path)
            }
            total += bytes.count
            entries.append(.init(path: path, bytes: bytes))
            files.append(.init(path: path, size: bytes.count, sha256: PackManifest.digest(bytes)))
        }
        guard total <= limits.maximumTotalBytes else { throw CubbyError(.persona, "files total \(total) bytes; the limit is \(limits.maximumTotalBytes)", context: folder) }
        let manifest = PackManifest(id: persona.id, version: persona.version, requires: [], builtWith: "cubby-pack \(CubbyVersion.string)", files: files)
        let manifestBytes = manifest.encoded()
        var head = [TarArchive.Entry(path: PackManifest.entryName, bytes: manifestBytes)]
        if let key {
            let signature = PackSignature(keyID: key.publicKey.id, publicKey: key.publicKey.rawRepresentation, signature: try key.sign(manifestBytes))
            head.append(.init(path: PackManifest.signatureName, bytes: signature.encoded()))
        }
        let archive = try Gzip.compress(TarArchive.write(head + entries))
        guard archive.count <= limits.maximumPackBytes else { throw CubbyError(.persona, "the pack would be \(archive.count) bytes; the limit is \(limits.maximumPackBytes)", context: folder) }
        return Result(bytes: archive, manifest: manifest, persona: persona, skipped: skipped)
    }

    /// Relative paths of the regular files under `folder`, sorted; links and special files are refused,
    /// since a pack must carry content, not pointers into the maker's machine.
    static func collect(folder: String, relative: String, skipped: inout [String]) throws(CubbyError) -> [String] {
        let here = relative.isEmpty ? folder : folder + "/" + relative
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: here).sorted() } catch {
            throw CubbyError(.io, "cannot list the folder", context: here, underlying: error)
        }
        var result: [String] = []
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            if name.hasPrefix(".") { skipped.append(path); continue }
            if [PackManifest.entryName, PackManifest.signatureName].contains(path) {
                throw CubbyError(.persona, "\(name) is reserved for the pack's own manifest; rename the file", context: folder + "/" + path)
            }
            var info = stat()
            try SystemCall.check("cannot read the file's type", context: folder + "/" + path) { lstat(folder + "/" + path, &info) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: result += try collect(folder: folder, relative: path, skipped: &skipped)
            case S_IFREG:
                if let problem = PackPath.problem(with: path) { throw CubbyError(.persona, "cannot go into a pack: the path \(problem)", context: folder + "/" + path) }
                result.append(path)
            case S_IFLNK: throw CubbyError(.persona, "is a symbolic link; packs hold only regular files (copy the file in)", context: folder + "/" + path)
            default: throw CubbyError(.persona, "is not a regular file; packs hold only regular files", context: folder + "/" + path)
            }
        }
        return result
    }
}
