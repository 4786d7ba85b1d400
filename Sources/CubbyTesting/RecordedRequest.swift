import Foundation
import NIOHTTP1

/// One request as the fake server received it, for tests to assert on.
public struct RecordedRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as JSON, when it is.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// The fake server's log of what reached it: requests, and every byte, so a test can prove that nothing
/// was sent (the wake-word gate) as well as what was.
final class RequestLog: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    private let lock = NSLock()
    private var _requests: [RecordedRequest] = []
    private var _bytes = 0
    private var _connections = 0
    private var faultsUsed: [String: Int] = [:]

    var requests: [RecordedRequest] { lock.withLock { _requests } }
    var bytes: Int { lock.withLock { _bytes } }
    var connections: Int { lock.withLock { _connections } }

    func add(_ request: RecordedRequest) { lock.withLock { _requests.append(request) } }
    func count(bytes: Int) { lock.withLock { _bytes += bytes } }
    func connected() { lock.withLock { _connections += 1 } }
    /// Whether the next request of `kind` gets its fault: the first `limit` do.
    func takeFault(_ kind: String, limit: Int) -> Bool {
        lock.withLock {
            let used = faultsUsed[kind, default: 0]
            guard used < limit else { return false }
            faultsUsed[kind] = used + 1
            return true
        }
    }
}
