import AsyncHTTPClient
import CubbyConfiguration
import CubbyCore
import Foundation
import NIOCore

/// What every cloud endpoint the toy talks to has in common: how the HTTP client is set up, and how a
/// request carries the key. How its address is checked and joined is `EndpointAddress`'s.
public enum CloudEndpoint {
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
