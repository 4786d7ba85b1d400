/// Finds one part of a `multipart/form-data` body, enough to check what a client uploaded.
enum MultipartReader {
    static func file(named name: String, in request: RecordedRequest) -> [UInt8]? {
        guard let type = request.header("Content-Type"), let range = type.range(of: "boundary=") else { return nil }
        var boundary = String(type[range.upperBound...])
        if boundary.hasPrefix("\"") { boundary = String(boundary.dropFirst().dropLast()) }
        let delimiter = Array("--\(boundary)".utf8)
        let body = request.body
        var parts: [ArraySlice<UInt8>] = []
        var start: Int?
        var index = 0
        while index + delimiter.count <= body.count {
            if body[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                if let start { parts.append(body[start..<max(start, index - 2)]) } // drop the CRLF before the delimiter
                index += delimiter.count
                start = index + 2
            } else {
                index += 1
            }
        }
        let separator = Array("\r\n\r\n".utf8)
        for part in parts {
            guard let split = part.firstRange(of: separator) else { continue }
            let headers = String(decoding: part[part.startIndex..<split.lowerBound], as: UTF8.self)
            if headers.contains("name=\"\(name)\"") { return Array(part[split.upperBound...]) }
        }
        return nil
    }
}
