import CubbyCore
import CubbyPersona

/// The ustar archive inside a `.cubbypack`: regular files only, written deterministically (owner 0,
/// time 0, mode 0644) so the same folder always builds the same bytes, and read with every field checked.
///
/// The reader refuses what could hurt the device when the pack is unpacked: links, device files, FIFOs,
/// folders, extended headers, paths that leave the pack, duplicate names (also ones differing only in
/// case), sizes over the limits, and bad checksums.
enum TarArchive {
    struct Entry: Equatable {
        var path: String
        var bytes: [UInt8]
    }

    static let block = 512

    static func write(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            var header = [UInt8](repeating: 0, count: block)
            put(entry.path, at: 0, width: 100, in: &header)
            put(octal(0o644, width: 8), at: 100, width: 8, in: &header)
            put(octal(0, width: 8), at: 108, width: 8, in: &header)
            put(octal(0, width: 8), at: 116, width: 8, in: &header)
            put(octal(entry.bytes.count, width: 12), at: 124, width: 12, in: &header)
            put(octal(0, width: 12), at: 136, width: 12, in: &header)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, width: 6, in: &header)
            put("00", at: 263, width: 2, in: &header)
            for i in 148..<156 { header[i] = UInt8(ascii: " ") }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octal(sum, width: 7), at: 148, width: 7, in: &header)
            header[155] = UInt8(ascii: " ")
            out += header
            out += entry.bytes
            out += [UInt8](repeating: 0, count: (block - entry.bytes.count % block) % block)
        }
        out += [UInt8](repeating: 0, count: block * 2)
        return out
    }

    static func read(_ data: [UInt8], limits: PackLimits, context: String) throws(CubbyError) -> [Entry] {
        var entries: [Entry] = []
        var seen = Set<String>()
        var total = 0
        var offset = 0
        func refuse(_ message: String) -> CubbyError { CubbyError(.persona, message, context: context) }
        while true {
            guard offset + block <= data.count else { throw refuse("archive is cut short (no end marker)") }
            let header = Array(data[offset..<offset + block])
            if header.allSatisfy({ $0 == 0 }) { break }
            guard let stored = number(header, 148, 8) else { throw refuse("archive entry \(entries.count + 1) has a malformed header") }
            var summed = header
            for i in 148..<156 { summed[i] = UInt8(ascii: " ") }
            guard summed.reduce(0, { $0 + Int($1) }) == stored else { throw refuse("archive entry \(entries.count + 1) has a bad header checksum") }
            guard let path = string(header, 0, 100), let prefix = string(header, 345, 155) else {
                throw refuse("archive entry \(entries.count + 1) has a name that is not UTF-8")
            }
            let name = prefix.isEmpty ? path : prefix + "/" + path
            let type = header[156]
            switch type {
            case UInt8(ascii: "0"), 0: break
            case UInt8(ascii: "1"): throw refuse("entry \"\(name)\" is a hard link; packs hold only regular files")
            case UInt8(ascii: "2"): throw refuse("entry \"\(name)\" is a symbolic link; packs hold only regular files")
            case UInt8(ascii: "3"), UInt8(ascii: "4"): throw refuse("entry \"\(name)\" is a device file; packs hold only regular files")
            case UInt8(ascii: "5"): throw refuse("entry \"\(name)\" is a folder entry; packs hold only regular files")
            case UInt8(ascii: "6"): throw refuse("entry \"\(name)\" is a FIFO; packs hold only regular files")
            default: throw refuse("entry \"\(name)\" has type '\(Character(Unicode.Scalar(type)))'; packs hold only regular files")
            }
            if let problem = PackPath.problem(with: name) { throw refuse("entry \"\(name.prefix(120))\" \(problem)") }
            guard seen.insert(name.lowercased()).inserted else { throw refuse("entry \"\(name)\" appears twice (names are compared ignoring case)") }
            guard entries.count < limits.maximumFiles else { throw refuse("holds more than \(limits.maximumFiles) files") }
            guard let size = number(header, 124, 12), size >= 0 else { throw refuse("entry \"\(name)\" has a malformed size") }
            guard size <= limits.maximumFileBytes else { throw refuse("entry \"\(name)\" is \(size) bytes; the limit for one file is \(limits.maximumFileBytes)") }
            total += size
            guard total <= limits.maximumTotalBytes else { throw refuse("files total more than \(limits.maximumTotalBytes) bytes") }
            let start = offset + block
            guard start + size <= data.count else { throw refuse("entry \"\(name)\" is cut short") }
            entries.append(Entry(path: name, bytes: Array(data[start..<start + size])))
            offset = start + (size + block - 1) / block * block
        }
        return entries
    }

    private static func octal(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
    }

    private static func put(_ text: String, at offset: Int, width: Int, in header: inout [UInt8]) {
        for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
    }

    private static func string(_ header: [UInt8], _ offset: Int, _ width: Int) -> String? {
        let field = header[offset..<offset + width]
        let bytes = field.prefix { $0 != 0 }
        return String(validating: Array(bytes), as: UTF8.self)
    }

    private static func number(_ header: [UInt8], _ offset: Int, _ width: Int) -> Int? {
        let field = header[offset..<offset + width].prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        let digits = field.drop { $0 == UInt8(ascii: " ") }
        // Octal digits only: `Int(_:radix:)` would also take a sign, and a negative size must never pass.
        guard !digits.isEmpty, digits.count <= 11, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self), radix: 8)
    }
}
