import CubbyCore

/// One server-sent event.
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String?
    public var data: String
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// A pure state machine for the `text/event-stream` format: bytes in, events out, no I/O.
///
/// Follows the WHATWG rules that matter for model APIs: lines end in LF, CRLF or CR; `data:` lines of one
/// event are joined with LF; a blank line dispatches; lines starting with `:` are comments (keep-alives);
/// one optional space after the colon is dropped. A line longer than `maximumLineBytes` is an error, so a
/// server that never sends a newline cannot grow memory without bound.
public struct ServerSentEventParser: Sendable {
    public var maximumLineBytes: Int
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var dataLines: [String] = []
    private var eventName: String?
    private var eventID: String?

    public init(maximumLineBytes: Int = 1 << 20) {
        self.maximumLineBytes = maximumLineBytes
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(CubbyError) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == 0x0A && lastWasCR { lastWasCR = false; continue }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = finishLine() { events.append(event) }
                continue
            }
            line.append(byte)
            if line.count > maximumLineBytes {
                throw CubbyError(.cloud, "event-stream line longer than \(maximumLineBytes) bytes")
            }
        }
        return events
    }

    /// Dispatches an event left unterminated at the end of the stream.
    public mutating func finish() -> ServerSentEvent? {
        if !line.isEmpty { _ = finishLine() }
        return dispatch()
    }

    private mutating func finishLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        let field: String
        var value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var start = colon + 1
            if start < line.count && line[start] == UInt8(ascii: " ") { start += 1 }
            value = String(decoding: line[start...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data": dataLines.append(value)
        case "event": eventName = value
        case "id": eventID = value
        default: value = ""  // "retry" and unknown fields do not matter to a one-shot stream
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer { dataLines.removeAll(); eventName = nil }
        guard !dataLines.isEmpty else { return nil }
        return ServerSentEvent(event: eventName, data: dataLines.joined(separator: "\n"), id: eventID)
    }
}
