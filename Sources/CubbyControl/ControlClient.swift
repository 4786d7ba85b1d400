#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import Foundation

/// `cubby`'s side of the control channel: a blocking Unix-socket client (no event loop needed for one
/// request and one reply).
public struct ControlClient: Sendable {
    public let socketPath: String
    public var timeoutSeconds: Int

    public init(socketPath: String, timeoutSeconds: Int = 120) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ request: ControlRequest, payload: [UInt8] = []) throws(CubbyError) -> ControlReply {
        try exchange(request, payload: payload).reply
    }

    /// Sends a request and returns the reply with the bytes that followed it (an export, a soul).
    public func exchange(_ request: ControlRequest, payload: [UInt8] = []) throws(CubbyError) -> (reply: ControlReply, payload: [UInt8]) {
        var request = request
        request.payloadBytes = payload.count
        let (answer, sendFailure) = try relay(request.encodedLine() + payload)
        return try Self.decode(answer, sendFailure: sendFailure, from: socketPath)
    }

    /// Sends bytes as they are and returns every byte of the answer (`cubby bridge` carries a remote
    /// `cubby`'s request this way), with the error sending met, if any: the daemon may refuse early (busy,
    /// too large) and stop reading, and its answer is still read.
    public func relay(_ bytes: [UInt8]) throws(CubbyError) -> (answer: [UInt8], sendFailure: CubbyError?) {
        let fd = try SystemCall.check("cannot create a socket", context: socketPath) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw CubbyError(.io, "the control socket's path is too long for a Unix socket", context: socketPath)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            let code = SystemCall.lastError
            let hint = code == .noSuchFileOrDirectory || code == .connectionRefused ? " (is cubbyd running with this configuration?)"
                : code == .permissionDenied ? " (is your user in the cubby group?)" : ""
            throw CubbyError(.io, "cannot reach the toy's daemon\(hint)", context: socketPath, underlying: code)
        }
        let sendFailure: CubbyError?
        do { try writeAll(bytes, fd: fd); sendFailure = nil } catch { sendFailure = error }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while reply.count <= ControlProtocol.maximumHeaderBytes + ControlProtocol.maximumReplyPayloadBytes {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                if let sendFailure, reply.isEmpty { throw sendFailure }
                throw CubbyError(.io, "no answer from the toy's daemon", context: socketPath, underlying: SystemCall.lastError)
            }
            if count == 0 { break }
            reply += buffer.prefix(count)
        }
        return (reply, sendFailure)
    }

    /// Reads an answer: the reply line, and the payload it announces.
    public static func decode(_ reply: [UInt8], sendFailure: CubbyError? = nil, from source: String) throws(CubbyError) -> (reply: ControlReply, payload: [UInt8]) {
        let newline = reply.firstIndex(of: 10) ?? reply.endIndex
        let line = reply[..<newline]
        guard !line.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            if let sendFailure { throw sendFailure }
            throw CubbyError(.io, "the toy's daemon closed the connection without an answer", context: source)
        }
        if let version = object["protocol"] as? Int, version != ControlProtocol.version, object["ok"] as? Bool != false {
            throw CubbyError(.io, "the toy speaks control protocol \(version); this cubby speaks \(ControlProtocol.version)", context: source)
        }
        let decoded: ControlReply
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            decoded = try decoder.decode(ControlReply.self, from: Data(line))
        } catch {
            throw CubbyError(.io, "the toy's daemon sent an answer this cubby cannot read", context: source, underlying: error)
        }
        let rest = newline < reply.endIndex ? Array(reply[(newline + 1)...]) : []
        guard rest.count == (decoded.payloadBytes ?? 0) else {
            throw CubbyError(.io, "the toy's answer was cut short (\(rest.count) of \(decoded.payloadBytes ?? 0) bytes)", context: source)
        }
        return (decoded, rest)
    }

    private func writeAll(_ bytes: [UInt8], fd: Int32) throws(CubbyError) {
        var offset = 0
        while offset < bytes.count {
            offset += try SystemCall.check("cannot send the request", context: socketPath) {
                bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            }
        }
    }
}
