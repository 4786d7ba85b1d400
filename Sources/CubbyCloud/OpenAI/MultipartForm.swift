import Foundation

/// A `multipart/form-data` body, as `/v1/audio/transcriptions` takes it.
public struct MultipartForm: Sendable {
    public let boundary: String
    private(set) var body: [UInt8] = []

    public init(boundary: String = "cubby-\(UUID().uuidString)") {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func addField(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, data: [UInt8]) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        body += data
        body += Array("\r\n".utf8)
    }

    /// The finished body, closing delimiter included.
    public func encoded() -> [UInt8] {
        body + Array("--\(boundary)--\r\n".utf8)
    }
}
