import CubbyCore
import CubbyPersona
import Crypto
import Foundation

/// `MANIFEST.json`, the first entry of every pack: what the pack is and a SHA-256 digest and size for
/// every other file. The maker's signature (`SIGNATURE`) covers these exact bytes, so a verified manifest
/// vouches for every file it lists, and a file it does not list is refused.
///
/// Read strictly: unknown keys, wrong types and unknown `requires` features are errors, so a pack made
/// for a newer device says so instead of being half understood.
public struct PackManifest: Sendable, Equatable {
    public static let entryName = "MANIFEST.json"
    public static let signatureName = "SIGNATURE"
    public static let format = 1
    /// Features this device understands; a pack may require only these.
    public static let knownFeatures: Set<String> = []

    public struct File: Sendable, Equatable {
        public var path: String
        public var size: Int
        public var sha256: String
    }

    public var id: String
    public var version: SemanticVersion
    public var requires: [String]
    public var builtWith: String
    public var files: [File]

    public func encoded() -> [UInt8] {
        // Written by hand so the bytes are stable: keys in a fixed order, one file per line.
        func quoted(_ text: String) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]), as: UTF8.self).dropFirst().dropLast().description
        }
        var text = "{\n  \"format\": \(Self.format),\n  \"id\": \(quoted(id)),\n  \"version\": \(quoted(version.description)),\n"
        text += "  \"requires\": [\(requires.map(quoted).joined(separator: ", "))],\n  \"built_with\": \(quoted(builtWith)),\n  \"files\": [\n"
        text += files.map { "    {\"path\": \(quoted($0.path)), \"size\": \($0.size), \"sha256\": \"\($0.sha256)\"}" }.joined(separator: ",\n")
        text += "\n  ]\n}\n"
        return Array(text.utf8)
    }

    public static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The wire shape, decoded with the types checked by `JSONDecoder`; the rest is checked by hand.
    private struct Wire: Decodable {
        struct File: Decodable { var path: String; var size: Int; var sha256: String }
        var format: Int
        var id: String
        var version: String
        var requires: [String]
        var built_with: String
        var files: [File]
    }

    static func decode(_ bytes: [UInt8], context: String) throws(CubbyError) -> PackManifest {
        func refuse(_ message: String) -> CubbyError { CubbyError(.persona, "\(entryName): \(message)", context: context) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let root = object as? [String: Any] else {
            throw refuse("is not a JSON object")
        }
        let known: Set<String> = ["format", "id", "version", "requires", "built_with", "files"]
        if let unknown = root.keys.sorted().first(where: { !known.contains($0) }) {
            throw refuse("unknown field \"\(unknown.prefix(40))\" (this device reads manifest format \(format))")
        }
        for (index, item) in ((root["files"] as? [Any]) ?? []).enumerated() {
            if let entry = item as? [String: Any], let unknown = entry.keys.sorted().first(where: { !["path", "size", "sha256"].contains($0) }) {
                throw refuse("files[\(index)]: unknown field \"\(unknown.prefix(40))\"")
            }
        }
        if let format = root["format"] as? Int, format != Self.format {
            throw refuse("format \(format) is not supported (this device reads format \(Self.format)); update the toy's software")
        }
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(bytes)) } catch let error as DecodingError {
            throw refuse(describe(error))
        } catch {
            throw refuse("cannot be read (\(error))")
        }
        guard wire.format == Self.format else { throw refuse("format \(wire.format) is not supported (this device reads format \(Self.format))") }
        if let missing = wire.requires.first(where: { !knownFeatures.contains($0) }) {
            throw refuse("requires the feature \"\(missing.prefix(40))\", which this device does not have; update the toy's software")
        }
        guard let version = SemanticVersion(wire.version) else { throw refuse("version: \"\(wire.version.prefix(40))\" is not a semantic version") }
        var files: [File] = []
        var seen = Set<String>()
        for (index, entry) in wire.files.enumerated() {
            if let problem = PackPath.problem(with: entry.path) { throw refuse("files[\(index)].path \"\(entry.path.prefix(100))\" \(problem)") }
            guard seen.insert(entry.path.lowercased()).inserted else { throw refuse("files[\(index)].path \"\(entry.path)\" is listed twice") }
            guard entry.size >= 0 else { throw refuse("files[\(index)].size must not be negative") }
            guard entry.sha256.count == 64, entry.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw refuse("files[\(index)].sha256: expected 64 lower-case hex digits")
            }
            files.append(File(path: entry.path, size: entry.size, sha256: entry.sha256))
        }
        return PackManifest(id: wire.id, version: version, requires: wire.requires, builtWith: wire.built_with, files: files)
    }

    /// "files[2].size: expected a whole number", from a decoding error's path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(type == Int.self ? "a whole number" : type == String.self ? "a string" : "\(type)")"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)): is null"
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): is required but missing"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// `SIGNATURE`: which maker key signed `MANIFEST.json`, and the Ed25519 signature over its bytes.
/// The public key travels too, so `inspect` can say who signed a pack; a device only ever checks the
/// signature with its own trusted copy of the key the id names.
struct PackSignature: Sendable {
    var keyID: String
    var publicKey: [UInt8]
    var signature: [UInt8]

    func encoded() -> [UInt8] {
        Array("{\"algorithm\": \"ed25519\", \"key_id\": \"\(keyID)\", \"public_key\": \"\(Data(publicKey).base64EncodedString())\", \"signature\": \"\(Data(signature).base64EncodedString())\"}\n".utf8)
    }

    static func decode(_ bytes: [UInt8], context: String) throws(CubbyError) -> PackSignature {
        func refuse(_ message: String) -> CubbyError { CubbyError(.persona, "\(PackManifest.signatureName): \(message)", context: context) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let root = object as? [String: Any] else {
            throw refuse("is not a JSON object")
        }
        if let unknown = root.keys.sorted().first(where: { !["algorithm", "key_id", "public_key", "signature"].contains($0) }) {
            throw refuse("unknown field \"\(unknown.prefix(40))\"")
        }
        guard root["algorithm"] as? String == "ed25519" else { throw refuse("algorithm must be \"ed25519\"") }
        guard let keyID = root["key_id"] as? String, keyID.count == 16, keyID.allSatisfy(\.isHexDigit) else { throw refuse("key_id: expected 16 hex digits") }
        guard let text = root["signature"] as? String, let signature = Data(base64Encoded: text), signature.count == 64 else {
            throw refuse("signature: expected 64 bytes in base64")
        }
        guard let keyText = root["public_key"] as? String, let publicKey = Data(base64Encoded: keyText), publicKey.count == 32,
              TrustedKey.id(of: [UInt8](publicKey)) == keyID else {
            throw refuse("public_key: expected the 32-byte Ed25519 key whose id is key_id")
        }
        return PackSignature(keyID: keyID, publicKey: [UInt8](publicKey), signature: [UInt8](signature))
    }
}
