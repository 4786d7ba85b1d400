import AsyncHTTPClient
import CubbyCore
import Foundation
import NIOCore

/// What every cloud endpoint the toy talks to has in common: how its address is checked and joined,
/// how the HTTP client is set up, and how a request carries the key.
public enum CloudEndpoint {
    /// Checks an address: absolute, with `secure` or `plain` as its scheme, and `plain` only to a
    /// loopback host unless `allowInsecure` (named `setting` in the configuration). Returns what is wrong,
    /// or nil.
    public static func problem(with text: String, secure: String, plain: String, allowInsecure: Bool, example: String,
                               setting: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "\"\(text)\" is not an absolute URL like \(example)"
        }
        guard scheme == secure || scheme == plain else { return "scheme \"\(scheme)\" is not \(plain) or \(secure)" }
        if scheme == plain && !allowInsecure && !isLoopback(host) {
            return "plain \(plain) to \(host) would send the child's voice unencrypted; use \(secure), or set \(setting) = true"
        }
        return nil
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `base` + `path` (`/v1/...`), whether the base was written with a trailing slash or `/v1` or not.
    static func url(_ base: String, _ path: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return base + path
    }

    /// A client that gives up on a host within the connect timeout, never follows redirects (a key must not
    /// travel elsewhere), and fails a refused connection at once instead of retrying it until the
    /// timeout: the toy has a second to say its offline line, and retries belong to the turn, which
    /// knows which steps are safe to repeat.
    static func client(connectTimeoutMilliseconds: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(connectTimeoutMilliseconds)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// A POST with the toy's user agent and, when there is one, the bearer key.
    static func post(_ url: String, contentType: String, key: String?, body: [UInt8]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "User-Agent", value: "cubby/\(CubbyVersion.string)")
        if let key, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }
}
