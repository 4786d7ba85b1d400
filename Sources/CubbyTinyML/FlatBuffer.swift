import CubbyCore

/// Reads a FlatBuffers buffer (the layout of TensorFlow Lite model files) in place: tables through their
/// vtables, vectors, strings and scalars, little-endian. Every offset is checked against the buffer's
/// bounds, so a truncated or hostile model file is an error that says where, never a crash.
struct FlatBuffer: Sendable {
    let bytes: [UInt8]
    /// Names the file in errors.
    let source: String

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    func error(_ message: String) -> CubbyError {
        CubbyError(.wake, "not a usable TensorFlow Lite model: \(message)", context: source)
    }

    func read<T: FixedWidthInteger>(_ type: T.Type, at position: Int) throws(CubbyError) -> T {
        let size = MemoryLayout<T>.size
        guard position >= 0, position <= bytes.count - size else { throw error("a \(size)-byte value at \(position) lies outside the file's \(bytes.count) bytes") }
        var value: T = 0
        for index in 0..<size { value |= T(truncatingIfNeeded: bytes[position + index]) << (8 * index) }
        return value
    }

    func float32(at position: Int) throws(CubbyError) -> Float {
        Float(bitPattern: try read(UInt32.self, at: position))
    }

    /// The position an unsigned offset stored at `position` points to.
    func follow(_ position: Int) throws(CubbyError) -> Int {
        let offset = Int(try read(UInt32.self, at: position))
        let target = position + offset
        guard target < bytes.count else { throw error("an offset at \(position) points past the end") }
        return target
    }

    /// The root table.
    func root() throws(CubbyError) -> FlatTable {
        try FlatTable(buffer: self, position: try follow(0))
    }
}

/// One table: its fields are found through its vtable by slot number (the field's order in the schema).
struct FlatTable: Sendable {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let vtableSize: Int

    init(buffer: FlatBuffer, position: Int) throws(CubbyError) {
        self.buffer = buffer
        self.position = position
        vtable = position - Int(try buffer.read(Int32.self, at: position))
        vtableSize = Int(try buffer.read(UInt16.self, at: vtable))
        guard vtableSize >= 4, vtable + vtableSize <= buffer.bytes.count else { throw buffer.error("a table at \(position) has a broken vtable") }
    }

    /// Where field `slot` is, or nil when the table leaves it at its default.
    func field(_ slot: Int) throws(CubbyError) -> Int? {
        let entry = 4 + 2 * slot
        guard entry + 2 <= vtableSize else { return nil }
        let offset = Int(try buffer.read(UInt16.self, at: vtable + entry))
        return offset == 0 ? nil : position + offset
    }

    func scalar<T: FixedWidthInteger>(_ slot: Int, default fallback: T) throws(CubbyError) -> T {
        guard let at = try field(slot) else { return fallback }
        return try buffer.read(T.self, at: at)
    }

    func table(_ slot: Int) throws(CubbyError) -> FlatTable? {
        guard let at = try field(slot) else { return nil }
        return try FlatTable(buffer: buffer, position: try buffer.follow(at))
    }

    /// A vector's element count and where its first element is.
    func vector(_ slot: Int, elementSize: Int) throws(CubbyError) -> (count: Int, start: Int)? {
        guard let at = try field(slot) else { return nil }
        let start = try buffer.follow(at)
        let count = Int(try buffer.read(UInt32.self, at: start))
        guard count <= (buffer.bytes.count - start - 4) / max(elementSize, 1) else { throw buffer.error("a vector at \(start) claims \(count) elements past the end") }
        return (count, start + 4)
    }

    func tables(_ slot: Int) throws(CubbyError) -> [FlatTable] {
        guard let (count, start) = try vector(slot, elementSize: 4) else { return [] }
        var result: [FlatTable] = []
        result.reserveCapacity(count)
        for index in 0..<count { result.append(try FlatTable(buffer: buffer, position: try buffer.follow(start + 4 * index))) }
        return result
    }

    func integers<T: FixedWidthInteger>(_ slot: Int, as type: T.Type) throws(CubbyError) -> [T] {
        let size = MemoryLayout<T>.size
        guard let (count, start) = try vector(slot, elementSize: size) else { return [] }
        var result: [T] = []
        result.reserveCapacity(count)
        for index in 0..<count { result.append(try buffer.read(T.self, at: start + size * index)) }
        return result
    }

    func floats(_ slot: Int) throws(CubbyError) -> [Float] {
        try integers(slot, as: UInt32.self).map(Float.init(bitPattern:))
    }

    /// A byte vector's range in the buffer (a tensor's constant data), without copying it.
    func byteRange(_ slot: Int) throws(CubbyError) -> Range<Int>? {
        guard let (count, start) = try vector(slot, elementSize: 1) else { return nil }
        return start..<(start + count)
    }

    func string(_ slot: Int) throws(CubbyError) -> String? {
        guard let range = try byteRange(slot) else { return nil }
        return String(decoding: buffer.bytes[range], as: UTF8.self)
    }
}
