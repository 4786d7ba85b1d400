import Foundation
import NIOCore
import NIOPosix

/// Whether the cloud's address answers: a TCP connection to its host and port, closed at once. Enough
/// for a parent's "is the toy online?"; a turn still finds out about keys and models by itself.
enum CloudProbe {
    static func reachable(_ address: String, timeout: TimeAmount = .seconds(2)) async -> Bool {
        guard let url = URL(string: address), let host = url.host, !host.isEmpty else { return false }
        let port = url.port ?? (["https", "wss"].contains(url.scheme?.lowercased() ?? "") ? 443 : 80)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: host, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
