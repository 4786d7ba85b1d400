import _CryptoExtras
import CubbyCore
import CubbyMemory
import Crypto
import Foundation

/// A soul sealed with a parent's passphrase: `CUBBYSOUL1\n`, the scrypt cost (log2 N, r, p), a 16-byte
/// salt, then AES-256-GCM (nonce, ciphertext, tag) of the soul's JSON, with the header as authenticated
/// data. A wrong passphrase and a changed byte fail the same authentication, and nothing is read.
public enum SoulArchive {
    static let magic = Array("CUBBYSOUL1\n".utf8)
    /// scrypt N = 2^15, r = 8, p = 1: about 32 MiB and a fraction of a second on a small board, which is
    /// what makes guessing a family's passphrase slow.
    static let costLog2: UInt8 = 15
    static let blockSize: UInt8 = 8
    static let parallelism: UInt8 = 1
    /// What a toy accepts (the control channel's request limit): a soul is refused at export if it is bigger.
    public static let maximumBytes = 32 * 1024 * 1024
    public static let minimumPassphrase = 8

    public static func seal(_ soul: Soul, passphrase: String) throws(CubbyError) -> [UInt8] {
        guard passphrase.count >= minimumPassphrase else {
            throw CubbyError(.invalidConfiguration, "the passphrase must be at least \(minimumPassphrase) characters")
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let plain: Data
        do { plain = try encoder.encode(soul) } catch { throw CubbyError(.storage, "the soul could not be written", underlying: error) }
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        let header = magic + [costLog2, blockSize, parallelism] + salt
        let key = try derive(passphrase, salt: salt, costLog2: costLog2, blockSize: blockSize, parallelism: parallelism)
        do {
            let box = try AES.GCM.seal(plain, using: key, authenticating: header)
            guard let combined = box.combined else { throw CubbyError(.library, "AES-GCM gave no combined box") }
            guard header.count + combined.count <= maximumBytes else {
                throw CubbyError(.storage, "the soul would be \(header.count + combined.count) bytes; a toy accepts at most \(maximumBytes)")
            }
            return header + [UInt8](combined)
        } catch let error as CubbyError { throw error } catch {
            throw CubbyError(.library, "the soul could not be sealed", underlying: error)
        }
    }

    public static func open(_ bytes: [UInt8], passphrase: String, context: String) throws(CubbyError) -> Soul {
        let headerSize = magic.count + 3 + 16
        guard bytes.count <= maximumBytes else { throw CubbyError(.persona, "is \(bytes.count) bytes; a soul is at most \(maximumBytes)", context: context) }
        guard bytes.count > headerSize + 28, Array(bytes.prefix(magic.count)) == magic else {
            throw CubbyError(.persona, "is not a Cubby soul file", context: context)
        }
        let (costLog2, blockSize, parallelism) = (bytes[magic.count], bytes[magic.count + 1], bytes[magic.count + 2])
        // Only costs near this toy's own: a file must not make the toy spend minutes or hundreds of MiB.
        guard (10...16).contains(costLog2), blockSize == 8, parallelism == 1 else {
            throw CubbyError(.persona, "has key-derivation costs this toy does not accept", context: context)
        }
        let header = Array(bytes.prefix(headerSize))
        let salt = Array(header.suffix(16))
        let key = try derive(passphrase, salt: salt, costLog2: costLog2, blockSize: blockSize, parallelism: parallelism)
        let plain: Data
        do {
            let box = try AES.GCM.SealedBox(combined: Data(bytes[headerSize...]))
            plain = try AES.GCM.open(box, using: key, authenticating: header)
        } catch {
            throw CubbyError(.persona, "cannot be opened: the passphrase is wrong, or the file was changed", context: context)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            let soul = try decoder.decode(Soul.self, from: plain)
            guard soul.format == 1 else { throw CubbyError(.persona, "is soul format \(soul.format); this toy reads format 1", context: context) }
            return soul
        } catch let error as CubbyError { throw error } catch {
            throw CubbyError(.persona, "holds a soul this toy cannot read", context: context, underlying: error)
        }
    }

    private static func derive(_ passphrase: String, salt: [UInt8], costLog2: UInt8, blockSize: UInt8, parallelism: UInt8) throws(CubbyError) -> SymmetricKey {
        do {
            return try KDF.Scrypt.deriveKey(from: Array(passphrase.utf8), salt: salt, outputByteCount: 32, rounds: 1 << Int(costLog2),
                                            blockSize: Int(blockSize), parallelism: Int(parallelism), maxMemory: 256 * 1024 * 1024)
        } catch {
            throw CubbyError(.library, "the key could not be derived from the passphrase", underlying: error)
        }
    }
}

