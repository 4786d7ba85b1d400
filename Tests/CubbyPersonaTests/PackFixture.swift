@testable import CubbyPersonaPack
import CubbyCore
import CubbyPersona
import CubbySafety
import CubbyTestSupport
import Foundation

/// A maker key, the example pack built with it, a toy's data folder with that pack installed, and the
/// means to craft hostile variants of the archive byte by byte.
struct PackFixture {
    let folder: String
    let key = MakerKey.generate(name: "acme")
    var dataDirectory: String { folder + "/data" }
    var store: PersonaStore { PersonaStore(dataDirectory: dataDirectory) }
    var trusted: TrustedKeys { TrustedKeys([key.publicKey]) }
    nonisolated(unsafe) static let filter = try! OnDeviceFilter.builtIn()

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-packs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    func installer(allowUnsigned: Bool = false, limits: PackLimits = .standard) -> PackInstaller {
        PackInstaller(store: store, policy: .init(trusted: trusted, allowUnsigned: allowUnsigned, limits: limits), filter: Self.filter)
    }

    /// The example pack `name`, optionally edited (persona.toml), built and signed with the fixture's key.
    func build(_ name: String = "teddy", key: MakerKey? = nil, signed: Bool = true, edit: (String) -> String = { $0 }) throws -> [UInt8] {
        let source = folder + "/src-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Sandbox.packageRoot + "/Personas/" + name, toPath: source)
        let text = try String(contentsOfFile: source + "/persona.toml", encoding: .utf8)
        try edit(text).write(toFile: source + "/persona.toml", atomically: true, encoding: .utf8)
        return try PackBuilder.build(folder: source, key: signed ? (key ?? self.key) : nil).bytes
    }

    func write(_ bytes: [UInt8], as name: String = "pack-\(UUID().uuidString).cubbypack") throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The entries of a built pack, to be changed and packed again.
    static func entries(of pack: [UInt8]) throws -> [TarArchive.Entry] {
        try TarArchive.read(Gzip.decompress(pack, limit: 1 << 28, context: "test"), limits: .standard, context: "test")
    }

    static func pack(_ entries: [TarArchive.Entry], extra: [UInt8] = []) throws -> [UInt8] {
        var tar = TarArchive.write(entries)
        if !extra.isEmpty { tar = Array(tar.dropLast(1024)) + extra + [UInt8](repeating: 0, count: 1024) }
        return try Gzip.compress(tar)
    }

    /// A raw ustar header and body, of any type, for the cases the real writer never makes.
    /// `sizeField` replaces the octal size with any text, for hostile sizes.
    static func rawEntry(_ name: String, type: Character, link: String = "", bytes: [UInt8] = [], sizeField: String? = nil) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int) { for (i, b) in text.utf8.enumerated() { header[offset + i] = b } }
        put(name, 0); put("0000644", 100); put("0000000", 108); put("0000000", 116)
        let size = String(bytes.count, radix: 8)
        put(sizeField ?? String(repeating: "0", count: 11 - size.count) + size, 124); put("00000000000", 136)
        header[156] = UInt8(ascii: type.unicodeScalars.first!)
        put(link, 157); put("ustar", 257); put("00", 263)
        for i in 148..<156 { header[i] = UInt8(ascii: " ") }
        let sum = String(header.reduce(0) { $0 + Int($1) }, radix: 8)
        put(String(repeating: "0", count: 6 - sum.count) + sum, 148); header[154] = 0
        return header + bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
    }

    /// Every file under the data folder with its digest: what "nothing on the device changed" compares.
    func snapshot() -> [String: String] {
        var result: [String: String] = [:]
        let root = dataDirectory
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory)
            if path.hasSuffix(".lock") { continue }
            result[path] = isDirectory.boolValue ? "dir" : (FileManager.default.contents(atPath: root + "/" + path).map { PackManifest.digest([UInt8]($0)) } ?? "?")
        }
        return result
    }
}
