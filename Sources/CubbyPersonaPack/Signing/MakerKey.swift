import CubbyCore
import Crypto
import Foundation

/// A maker's Ed25519 key pair. The private half signs packs on the maker's build machine; the public
/// half goes into each toy's trusted-keys folder.
///
/// On disk both are one line of text: `cubby-ed25519-private <base64>` (mode 0600) and
/// `cubby-ed25519 <base64> <name>`. The key id is the first 16 hex digits of the public key's SHA-256.
public struct MakerKey: Sendable {
    public static let privatePrefix = "cubby-ed25519-private"
    public static let publicPrefix = "cubby-ed25519"

    // Kept as raw bytes: swift-crypto's key types are not Sendable.
    let secret: [UInt8]
    public let name: String

    private var privateKey: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: secret) }

    public static func generate(name: String) -> MakerKey {
        MakerKey(secret: [UInt8](Curve25519.Signing.PrivateKey().rawRepresentation), name: name)
    }

    public var publicKey: TrustedKey { TrustedKey(rawRepresentation: [UInt8](privateKey.publicKey.rawRepresentation), name: name)! }

    func sign(_ bytes: [UInt8]) throws(CubbyError) -> [UInt8] {
        do { return [UInt8](try privateKey.signature(for: bytes)) } catch {
            throw CubbyError(.library, "could not sign the manifest", underlying: error)
        }
    }

    /// Writes `<name>.key` (owner-only) and `<name>.pub` into `folder`; refuses to overwrite a key.
    public func write(to folder: String) throws(CubbyError) -> (privatePath: String, publicPath: String) {
        let privatePath = folder + "/\(name).key", publicPath = folder + "/\(name).pub"
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw CubbyError(.io, "already exists; a key is never overwritten (move it away first)", context: path)
        }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw CubbyError(.io, "cannot create the folder", context: folder, underlying: error)
        }
        let secret = "\(Self.privatePrefix) \(privateKey.rawRepresentation.base64EncodedString()) \(name)\n"
        try FileBytes.writeAtomically(Array(secret.utf8), to: privatePath, mode: 0o600)
        try FileBytes.writeAtomically(Array(publicKey.line.utf8), to: publicPath, mode: 0o644)
        return (privatePath, publicPath)
    }

    public static func load(privateKeyAt path: String) throws(CubbyError) -> MakerKey {
        let fields = try FileBytes.readText(at: path).split(whereSeparator: \.isWhitespace)
        guard fields.count >= 2, fields[0] == privatePrefix, let raw = Data(base64Encoded: String(fields[1])),
              (try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)) != nil else {
            throw CubbyError(.persona, "is not a Cubby private key (expected \"\(privatePrefix) <base64>\"; `cubby-pack keygen` makes one)", context: path)
        }
        return MakerKey(secret: [UInt8](raw), name: fields.count > 2 ? String(fields[2]) : "maker")
    }
}

/// A maker's public key the device trusts.
public struct TrustedKey: Sendable {
    public let rawRepresentation: [UInt8]
    public let name: String

    public init?(rawRepresentation: [UInt8], name: String) {
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)) != nil else { return nil }
        self.rawRepresentation = rawRepresentation
        self.name = name
    }

    public var id: String { Self.id(of: rawRepresentation) }

    public static func id(of raw: [UInt8]) -> String { String(PackManifest.digest(raw).prefix(16)) }

    public var line: String { "\(MakerKey.publicPrefix) \(Data(rawRepresentation).base64EncodedString()) \(name)\n" }

    func isValidSignature(_ signature: [UInt8], for bytes: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: bytes)
    }

    public static func load(publicKeyAt path: String) throws(CubbyError) -> TrustedKey {
        let fields = try FileBytes.readText(at: path).split(whereSeparator: \.isWhitespace)
        guard fields.count >= 2, fields[0] == MakerKey.publicPrefix, let raw = Data(base64Encoded: String(fields[1])),
              let key = TrustedKey(rawRepresentation: [UInt8](raw), name: fields.count > 2 ? String(fields[2]) : "maker") else {
            throw CubbyError(.persona, "is not a Cubby public key (expected \"\(MakerKey.publicPrefix) <base64> <name>\")", context: path)
        }
        return key
    }
}

/// The makers whose packs this device installs: every `*.pub` file in a folder (or one file).
public struct TrustedKeys: Sendable {
    public var keys: [TrustedKey]

    public init(_ keys: [TrustedKey]) { self.keys = keys }

    /// Reads a key file or every `*.pub` in a folder. A folder that does not exist trusts nobody; a file
    /// in it that is not a key is an error, so a typo never silently drops a maker.
    public static func load(from path: String) throws(CubbyError) -> TrustedKeys {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return TrustedKeys([]) }
        guard isDirectory.boolValue else { return TrustedKeys([try TrustedKey.load(publicKeyAt: path)]) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".pub") }.sorted()
        var keys: [TrustedKey] = []
        for name in names { keys.append(try TrustedKey.load(publicKeyAt: path + "/" + name)) }
        return TrustedKeys(keys)
    }

    public func key(id: String) -> TrustedKey? { keys.first { $0.id == id } }
}
