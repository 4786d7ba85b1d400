#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import CubbyPersona
import Foundation

/// A pack whose archive, manifest, signature and every digest checked out, and whose persona loaded.
public struct VerifiedPack: Sendable {
    public var manifest: PackManifest
    public var manifestBytes: [UInt8]
    public var signatureBytes: [UInt8]?
    /// The maker key that signed it; nil for an unsigned pack (developer mode only).
    public var signer: TrustedKey?
    public var persona: Persona
    /// The content files (not the manifest or signature), by path.
    public var files: PackEntries
    /// SHA-256 of the manifest: one value that names exactly this content.
    public var digest: String { PackManifest.digest(manifestBytes) }
}

/// Checks a `.cubbypack` entirely in memory before anything is written, in the order that fails fastest
/// and trusts nothing early: size, decompression (bounded), archive structure, manifest, signature, then
/// every digest, then the persona itself.
public enum PackVerifier {
    public struct Policy: Sendable {
        public var trusted: TrustedKeys
        /// Unsigned packs are installed only in developer mode; signed ones are still checked.
        public var allowUnsigned: Bool
        public var limits: PackLimits
        /// Accept whichever key the pack names, when its signature is valid: for `inspect`, never for installing.
        public var acceptAnySigner = false

        public init(trusted: TrustedKeys, allowUnsigned: Bool = false, limits: PackLimits = .standard) {
            self.trusted = trusted
            self.allowUnsigned = allowUnsigned
            self.limits = limits
        }

        /// Reads any intact pack and reports who signed it, trusting nobody in particular.
        public static var inspection: Policy {
            var policy = Policy(trusted: TrustedKeys([]), allowUnsigned: true)
            policy.acceptAnySigner = true
            return policy
        }
    }

    public static func verify(file path: String, policy: Policy) throws(CubbyError) -> VerifiedPack {
        try verify(bytes: try read(path, limit: policy.limits.maximumPackBytes), location: path, policy: policy)
    }

    /// Reads a pack file without following a link and never more than `limit` bytes, however the file
    /// changes while it is read.
    static func read(_ path: String, limit: Int) throws(CubbyError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = SystemCall.lastError
            if code == .tooManySymbolicLinkLevels { throw CubbyError(.persona, "is a symbolic link; give the pack file itself", context: path) }
            throw CubbyError(.io, "cannot be read", context: path, underlying: code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw CubbyError(.persona, "is not a regular file", context: path) }
        guard Int(info.st_size) <= limit else { throw CubbyError(.persona, "is \(info.st_size) bytes; the limit for a pack is \(limit)", context: path) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count <= limit {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, limit + 1 - count) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw CubbyError(.io, "cannot be read", context: path, underlying: SystemCall.lastError) }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else { throw CubbyError(.persona, "is more than \(limit) bytes; the limit for a pack", context: path) }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    public static func verify(bytes: [UInt8], location: String, policy: Policy) throws(CubbyError) -> VerifiedPack {
        func refuse(_ message: String) -> CubbyError { CubbyError(.persona, message, context: location) }
        let limits = policy.limits
        guard bytes.count <= limits.maximumPackBytes else { throw refuse("is \(bytes.count) bytes; the limit for a pack is \(limits.maximumPackBytes)") }
        let tarLimit = limits.maximumTotalBytes + TarArchive.block * (2 * limits.maximumFiles + 2)
        let tar = try Gzip.decompress(bytes, limit: tarLimit, context: location)
        let entries = try TarArchive.read(tar, limits: limits, context: location)

        guard let manifestEntry = entries.first(where: { $0.path == PackManifest.entryName }) else {
            throw refuse("has no \(PackManifest.entryName): not a persona pack, or a damaged one")
        }

        // The signature is checked over the manifest's raw bytes before a word of the manifest is read.
        let signatureEntry = entries.first { $0.path == PackManifest.signatureName }
        var signer: TrustedKey?
        if let signatureEntry {
            let signature = try PackSignature.decode(signatureEntry.bytes, context: location)
            let embedded = policy.acceptAnySigner ? TrustedKey(rawRepresentation: signature.publicKey, name: "an unchecked maker") : nil
            guard let key = policy.trusted.key(id: signature.keyID) ?? embedded else {
                throw refuse("is signed by key \(signature.keyID), which this device does not trust"
                    + (policy.trusted.keys.isEmpty ? " (no maker keys are trusted)" : " (trusted: \(policy.trusted.keys.map { "\($0.name) \($0.id)" }.joined(separator: ", ")))"))
            }
            guard key.isValidSignature(signature.signature, for: manifestEntry.bytes) else {
                throw refuse("has a bad signature: \(PackManifest.entryName) was changed after \(key.name) (\(key.id)) signed it")
            }
            signer = key
        } else if !policy.allowUnsigned {
            throw refuse("is not signed; unsigned packs are installed only in developer mode")
        }
        let manifest = try PackManifest.decode(manifestEntry.bytes, context: location)

        var files: [String: [UInt8]] = [:]
        let listed = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in entries where entry.path != PackManifest.entryName && entry.path != PackManifest.signatureName {
            guard let expected = listed[entry.path] else { throw refuse("holds \"\(entry.path)\", which the signed manifest does not list") }
            guard entry.bytes.count == expected.size, PackManifest.digest(entry.bytes) == expected.sha256 else {
                throw refuse("\"\(entry.path)\" does not match its digest in the manifest: the file was changed or damaged")
            }
            files[entry.path] = entry.bytes
        }
        if let absent = manifest.files.first(where: { files[$0.path] == nil }) {
            throw refuse("is missing \"\(absent.path)\", which the manifest lists")
        }
        let contents = PackEntries(location: location, files: files)
        let persona = try PersonaPackLoader.load(contents)
        guard persona.id == manifest.id, persona.version == manifest.version else {
            throw refuse("manifest says \(manifest.id) \(manifest.version) but persona.toml says \(persona.id) \(persona.version)")
        }
        return VerifiedPack(manifest: manifest, manifestBytes: manifestEntry.bytes, signatureBytes: signatureEntry?.bytes,
                            signer: signer, persona: persona, files: contents)
    }
}
