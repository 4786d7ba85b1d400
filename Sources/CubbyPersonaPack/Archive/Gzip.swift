import CZlib
import CubbyCore

/// gzip, through zlib. Inflating is bounded: a pack that expands past the limit is refused as a
/// decompression bomb before the excess is ever held in memory.
enum Gzip {
    static func compress(_ input: [UInt8]) throws(CubbyError) -> [UInt8] {
        var stream = z_stream()
        guard cubby_deflate_init_gzip(&stream, 9) == Z_OK else { throw CubbyError(.library, "zlib could not start compressing") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let status: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw CubbyError(.library, "zlib could not compress the pack (status \(status))") }
        return Array(output.prefix(Int(stream.total_out)))
    }

    /// Inflates one gzip member. Throws when the data is not gzip, is cut short, has bytes after its end,
    /// or would expand past `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int, context: String) throws(CubbyError) -> [UInt8] {
        guard input.count >= 18, input[0] == 0x1f, input[1] == 0x8b else {
            throw CubbyError(.persona, "is not a persona pack (not gzip-compressed)", context: context)
        }
        var stream = z_stream()
        guard cubby_inflate_init_gzip(&stream) == Z_OK else { throw CubbyError(.library, "zlib could not start inflating") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        // The trailer's size (mod 2^32) is a hint, never trusted past the limit: one allocation, not a doubling series.
        let stated = Int(input[input.count - 4]) | Int(input[input.count - 3]) << 8 | Int(input[input.count - 2]) << 16 | Int(input[input.count - 1]) << 24
        output.reserveCapacity(min(limit, stated) + 1)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                if output.count + produced > limit { status = Z_MEM_ERROR; return }
                output.append(contentsOf: chunk.prefix(produced))
            } while status == Z_OK
        }
        switch status {
        case Z_STREAM_END:
            guard stream.avail_in == 0 else { throw CubbyError(.persona, "has \(stream.avail_in) bytes after the end of its compressed data", context: context) }
            return output
        case Z_MEM_ERROR:
            throw CubbyError(.persona, "expands past \(limit) bytes: refused as a decompression bomb", context: context)
        case Z_BUF_ERROR:
            throw CubbyError(.persona, "is cut short: the compressed data ends early", context: context)
        default:
            throw CubbyError(.persona, "has corrupt compressed data (zlib status \(status))", context: context)
        }
    }
}
