import _CryptoExtras
import CubbyCore
import CubbyMemory
import Crypto
import Foundation

/// The parent's PIN: what every change to the toy needs once it is set.
///
/// Only a slow hash is kept (scrypt, N = 2^15, r = 8, p = 1, a random salt). Wrong PINs are rate-limited
/// with a growing wait — none for the first three, then 10 s, 20 s, 40 s… up to an hour — and the count
/// lives in the database, so restarting the toy does not reset it. A right PIN clears it.
public struct ParentPIN: Sendable {
    let settings: SettingStore
    static let hashKey = "parent.pin"
    static let failuresKey = "parent.pin.failures"
    static let lastFailureKey = "parent.pin.last_failure"
    public static let freeAttempts = 3
    public static let longestWait: TimeInterval = 3_600

    public init(database: CubbyDatabase) { settings = database.settings }

    public var isSet: Bool { (try? settings.value(Self.hashKey)) != nil }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case required
        case wrong(attemptsBeforeWaiting: Int)
        case wait(seconds: Int)
        case malformed

        public var description: String {
            switch self {
            case .required: "this needs the parent PIN"
            case .wrong(let left): "the PIN is wrong" + (left > 0 ? "" : "; wrong PINs from now on make the toy wait longer before trying again")
            case .wait(let seconds): "too many wrong PINs: try again in \(seconds) s"
            case .malformed: "a PIN is 4 to 12 digits"
            }
        }

        public var code: String {
            switch self {
            case .required: "pin_required"
            case .wrong: "pin_wrong"
            case .wait: "pin_wait"
            case .malformed: "pin_malformed"
            }
        }
    }

    /// How long after the `failures`-th wrong PIN the next attempt must wait.
    public static func wait(after failures: Int) -> TimeInterval {
        guard failures >= freeAttempts else { return 0 }
        return min(longestWait, 10 * pow(2, Double(failures - freeAttempts)))
    }

    /// Checks `pin` (nil: none given): nil when it may go ahead (also when no PIN is set), else why not.
    public func check(_ pin: String?, at date: Date) throws(CubbyError) -> Refusal? {
        guard let stored = try settings.value(Self.hashKey) else { return nil }
        guard let pin else { return .required }
        let failures = Int(try settings.value(Self.failuresKey) ?? "0") ?? 0
        if let last = try settings.value(Self.lastFailureKey).flatMap(Double.init) {
            let ready = last + Self.wait(after: failures)
            if date.timeIntervalSince1970 < ready { return .wait(seconds: Int((ready - date.timeIntervalSince1970).rounded(.up))) }
        }
        if try Self.matches(pin, stored) {
            if failures > 0 { try settings.set([Self.failuresKey: nil, Self.lastFailureKey: nil], at: date) }
            return nil
        }
        try settings.set([Self.failuresKey: String(failures + 1), Self.lastFailureKey: String(date.timeIntervalSince1970)], at: date)
        return .wrong(attemptsBeforeWaiting: max(0, Self.freeAttempts - failures - 1))
    }

    /// Sets the PIN: the first time freely (at setup), afterwards only with the current one.
    public func set(_ new: String, current: String?, at date: Date) throws(CubbyError) -> Refusal? {
        guard Self.isWellFormed(new) else { return .malformed }
        if let refusal = try check(current, at: date) { return refusal }
        try settings.set([Self.hashKey: try Self.hash(new), Self.failuresKey: nil, Self.lastFailureKey: nil], at: date)
        return nil
    }

    public static func isWellFormed(_ pin: String) -> Bool { (4...12).contains(pin.count) && pin.allSatisfy { $0.isASCII && $0.isNumber } }

    static func hash(_ pin: String) throws(CubbyError) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        return "scrypt$15$8$1$\(Data(salt).base64EncodedString())$\(Data(try derive(pin, salt: salt, costLog2: 15)).base64EncodedString())"
    }

    static func matches(_ pin: String, _ stored: String) throws(CubbyError) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let cost = Int(parts[1]), (10...16).contains(cost),
              let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]) else {
            throw CubbyError(.storage, "the stored parent PIN is damaged; reset it by erasing the toy's data folder")
        }
        let derived = try derive(pin, salt: [UInt8](salt), costLog2: cost)
        // Constant time: how much matched must not show in how long the comparison took.
        guard derived.count == expected.count else { return false }
        return zip(derived, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func derive(_ pin: String, salt: [UInt8], costLog2: Int) throws(CubbyError) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(from: Array(pin.utf8), salt: salt, outputByteCount: 32, rounds: 1 << costLog2, blockSize: 8, parallelism: 1)
            return key.withUnsafeBytes { [UInt8]($0) }
        } catch {
            throw CubbyError(.library, "the PIN could not be hashed", underlying: error)
        }
    }
}
