import CubbyCore
import Foundation
import Synchronization

/// `cubby unlock`: after the PIN, a token that lets changes through without asking again until it
/// expires — so the parents' menu asks once, not at every change. Tokens live only in the daemon's
/// memory: a restart locks the toy again.
public final class ParentUnlocks: Sendable {
    private let tokens = Mutex<[String: Date]>([:])
    private let clock: any CubbyClock

    public init(clock: any CubbyClock) { self.clock = clock }

    /// A new token, valid for `minutes`.
    public func unlock(minutes: Int) -> (token: String, expiresAt: Date) {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let expiry = clock.date.addingTimeInterval(Double(minutes * 60))
        tokens.withLock { tokens in
            let now = clock.date
            tokens = tokens.filter { $0.value > now }
            tokens[token] = expiry
        }
        return (token, expiry)
    }

    /// Whether `token` is one given out and not yet expired.
    public func isValid(_ token: String?) -> Bool {
        guard let token, !token.isEmpty else { return false }
        let now = clock.date
        return tokens.withLock { ($0[token].map { $0 > now }) ?? false }
    }

    /// `cubby lock`: every token stops working at once.
    public func lockAll() { tokens.withLock { $0.removeAll() } }
}
