#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import Foundation

/// `state.json` of the persona store: which persona is active and, per persona, the version in use and the
/// one before it. It is the single point of truth, replaced atomically: a crash leaves the old state or
/// the new one, and every version folder either state names was complete before the state named it.
public struct StoreState: Codable, Sendable, Equatable {
    public struct Installed: Codable, Sendable, Equatable {
        public var current: String
        public var previous: String?
    }

    public var format = 1
    public var active: String?
    public var personas: [String: Installed] = [:]

    public init() {}

    /// Every `<id>/<version>` folder the state refers to.
    var referenced: Set<String> {
        Set(personas.flatMap { id, entry in [entry.current, entry.previous].compactMap { $0.map { "\(id)/\($0)" } } })
    }

    static func read(at path: String) throws(CubbyError) -> StoreState {
        // Only a state that is truly absent is empty: any other failure (a failing flash card) must not read
        // as "nothing installed", or cleaning up would delete every pack.
        var info = stat()
        if stat(path, &info) != 0 {
            let code = SystemCall.lastError
            if code == .noSuchFileOrDirectory { return StoreState() }
            throw CubbyError(.io, "cannot be read", context: path, underlying: code)
        }
        let bytes = try FileBytes.read(at: path)
        do {
            let state = try JSONDecoder().decode(StoreState.self, from: Data(bytes))
            guard state.format == 1 else { throw CubbyError(.persona, "format \(state.format) is not supported", context: path) }
            return state
        } catch let error as CubbyError {
            throw error
        } catch {
            throw CubbyError(.persona, "is not a valid persona store state", context: path, underlying: error)
        }
    }

    func write(to path: String) throws(CubbyError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(self) } catch { throw CubbyError(.persona, "could not encode the store state", underlying: error) }
        try FileBytes.writeAtomically([UInt8](data) + [10], to: path, mode: 0o600)
    }
}
