import Foundation

/// The binary protocol version agreed in the xiaozhi handshake (`Protocol-Version`).
public enum XiaozhiProtocolVersion: Int, Sendable, CaseIterable {
    case v1 = 1, v2 = 2, v3 = 3
}

/// Where an existing xiaozhi-esp32-server deployment is and how this toy introduces itself.
public struct XiaozhiSettings: Sendable, Equatable {
    /// e.g. `wss://xiaozhi.example.com/xiaozhi/v1/` (or `ws://` on loopback, or with `allowInsecure`).
    public var url: String
    /// Sent as `Authorization: Bearer <token>`; never logged.
    public var token: String?
    /// A MAC-style id the server knows the toy by.
    public var deviceID: String
    /// A UUID for this installation.
    public var clientID: String
    public var protocolVersion: XiaozhiProtocolVersion
    /// The server must answer the device's hello within this (the firmware waits 10 s).
    public var helloTimeoutMilliseconds: Int
    /// From `listen stop` to the server's first message, and then between messages: a server that
    /// goes quiet mid-turn ends the turn instead of holding it.
    public var idleTimeoutMilliseconds = 8_000
    public var allowInsecure: Bool

    public init(url: String, token: String? = nil, deviceID: String, clientID: String, protocolVersion: XiaozhiProtocolVersion = .v1,
                helloTimeoutMilliseconds: Int = 10_000, allowInsecure: Bool = false) {
        self.url = url
        self.token = token
        self.deviceID = deviceID
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        self.helloTimeoutMilliseconds = helloTimeoutMilliseconds
        self.allowInsecure = allowInsecure
    }

    /// Checks the URL: ws or wss, a host, and wss unless the host is loopback or insecure is allowed.
    public static func problem(withURL text: String, allowInsecure: Bool) -> String? {
        EndpointAddress.problem(with: text, secure: "wss", plain: "ws", allowInsecure: allowInsecure,
                              example: "wss://xiaozhi.example.com/xiaozhi/v1/", setting: "allow_insecure")
    }


    /// The `Authorization` value: the firmware adds "Bearer " when the token has no space of its own.
    public var authorization: String? {
        guard let token, !token.isEmpty else { return nil }
        return token.contains(" ") ? token : "Bearer \(token)"
    }
}

extension XiaozhiSettings: CustomStringConvertible {
    /// Never shows the token.
    public var description: String {
        "\(url) (device \(deviceID), protocol \(protocolVersion.rawValue), token \(token == nil ? "none" : "set"))"
    }
}
