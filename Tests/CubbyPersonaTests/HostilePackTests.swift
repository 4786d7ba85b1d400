@testable import CubbyPersonaPack
import CubbyCore
import CubbyPersona
import CubbyTestSupport
import Foundation
import Testing

/// Every way a pack file can be hostile or damaged is refused with a message that names the problem, and
/// the persona installed before is untouched, file for file.
@Suite struct HostilePackTests {
    /// Installs the good example, then tries `hostile`; checks the refusal and that the store is unchanged.
    func expectRefused(_ hostile: (PackFixture, [UInt8]) throws -> [UInt8], installer: ((PackFixture) -> PackInstaller)? = nil,
                       because problem: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = try PackFixture()
        defer { fixture.remove() }
        let good = try fixture.build()
        _ = try fixture.installer().install(file: try fixture.write(good))
        let before = fixture.snapshot()
        #expect(before.keys.contains("personas/packs/teddy/2.0.0/persona.toml"), sourceLocation: sourceLocation)
        let path = try fixture.write(try hostile(fixture, good), as: "hostile.cubbypack")
        #expect(sourceLocation: sourceLocation) {
            _ = try (installer?(fixture) ?? fixture.installer()).install(file: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains(problem) && text.contains(path)
        }
        #expect(fixture.snapshot() == before, "the installed persona changed", sourceLocation: sourceLocation)
        var problems: [CubbyError] = []
        #expect(fixture.store.activePersona(problems: &problems)?.version == SemanticVersion("2.0.0"), sourceLocation: sourceLocation)
    }

    /// The good pack with its entries changed by `change`.
    func altered(_ change: @escaping (inout [TarArchive.Entry]) throws -> Void) -> (PackFixture, [UInt8]) throws -> [UInt8] {
        { _, good in
            var entries = try PackFixture.entries(of: good)
            try change(&entries)
            return try PackFixture.pack(entries)
        }
    }

    /// A newer version of the pack (so that only the hostility stops it), changed by `change`.
    func newer(_ change: @escaping (inout [TarArchive.Entry]) throws -> Void) -> (PackFixture, [UInt8]) throws -> [UInt8] {
        { fixture, _ in
            var entries = try PackFixture.entries(of: try fixture.build { $0.replacingOccurrences(of: "version = \"2.0.0\"", with: "version = \"2.1.0\"") })
            try change(&entries)
            return try PackFixture.pack(entries)
        }
    }

    func index(_ entries: [TarArchive.Entry], _ path: String) -> Int { entries.firstIndex { $0.path == path }! }

    @Test func aChangedManifestBreaksTheSignature() throws {
        try expectRefused(newer { entries in
            let i = index(entries, "MANIFEST.json")
            entries[i].bytes = Array(String(decoding: entries[i].bytes, as: UTF8.self).replacingOccurrences(of: "2.1.0", with: "9.9.9").utf8)
        }, because: "bad signature")
    }

    @Test func anUnsignedPackIsRefusedOutsideDeveloperMode() throws {
        try expectRefused({ fixture, _ in try fixture.build(signed: false) { $0.replacingOccurrences(of: "2.0.0", with: "2.1.0") } },
                          because: "not signed; unsigned packs are installed only in developer mode")
    }

    @Test func aPackSignedByAnUntrustedKeyIsRefused() throws {
        try expectRefused({ fixture, _ in try fixture.build(key: .generate(name: "stranger")) { $0.replacingOccurrences(of: "2.0.0", with: "2.1.0") } },
                          because: "which this device does not trust")
    }

    @Test func aFileThatDoesNotMatchItsDigestIsRefused() throws {
        try expectRefused(newer { entries in
            let i = index(entries, "persona.toml")
            entries[i].bytes = Array(String(decoding: entries[i].bytes, as: UTF8.self)
                .replacingOccurrences(of: "Teddy", with: "Tedd!").utf8)
        }, because: "\"persona.toml\" does not match its digest")
    }

    @Test func aFileTheManifestDoesNotListIsRefused() throws {
        try expectRefused(newer { entries in entries.append(.init(path: "sounds/extra.wav", bytes: [1, 2, 3])) },
                          because: "holds \"sounds/extra.wav\", which the signed manifest does not list")
    }

    @Test func aListedFileThatIsMissingIsRefused() throws {
        try expectRefused(newer { entries in entries.remove(at: index(entries, "README.md")) }, because: "is missing \"README.md\"")
    }

    @Test(arguments: [("../escape.txt", "leaves the pack"), ("/etc/cron.d/evil", "is an absolute path"),
                      ("sounds/../../x", "leaves the pack"), (".hidden", "hidden file")])
    func aPathOutsideThePackIsRefused(path: String, problem: String) throws {
        try expectRefused({ _, good in
            var tar = TarArchive.write(try PackFixture.entries(of: good))
            tar = Array(tar.dropLast(1024)) + PackFixture.rawEntry(path, type: "0", bytes: Array("x".utf8)) + [UInt8](repeating: 0, count: 1024)
            return try Gzip.compress(tar)
        }, because: problem)
    }

    @Test(arguments: [("1", "hard link"), ("2", "symbolic link"), ("3", "device file"), ("4", "device file"), ("6", "FIFO"),
                      ("5", "folder entry"), ("x", "has type 'x'")])
    func aLinkOrSpecialFileIsRefused(type: String, problem: String) throws {
        try expectRefused({ _, good in
            var tar = TarArchive.write(try PackFixture.entries(of: good))
            tar = Array(tar.dropLast(1024)) + PackFixture.rawEntry("sounds/trap", type: Character(type), link: "/etc/shadow") + [UInt8](repeating: 0, count: 1024)
            return try Gzip.compress(tar)
        }, because: problem)
    }

    @Test(arguments: ["-1", "+1", "0x10", "9", "77777777777"])
    func aMalformedSizeFieldIsRefusedNotTrusted(size: String) throws {
        try expectRefused({ _, good in
            let entry = PackFixture.rawEntry("sounds/x.wav", type: "0", bytes: Array("abc".utf8), sizeField: size)
            var tar = TarArchive.write(try PackFixture.entries(of: good))
            tar = Array(tar.dropLast(1024)) + entry + [UInt8](repeating: 0, count: 1024)
            return try Gzip.compress(tar)
        }, because: size == "77777777777" ? "the limit for one file" : "has a malformed size")
    }

    @Test func aDuplicateEntryIsRefused() throws {
        try expectRefused(altered { entries in entries.append(entries[index(entries, "persona.toml")]) }, because: "appears twice")
        try expectRefused(altered { entries in entries.append(.init(path: "PERSONA.toml", bytes: [1])) }, because: "appears twice")
    }

    @Test func filesOverTheSizeLimitsAreRefused() throws {
        var small = PackLimits()
        small.maximumFileBytes = 20_000
        try expectRefused({ fixture, _ in try fixture.build { $0.replacingOccurrences(of: "2.0.0", with: "2.1.0") } },
                          installer: { $0.installer(limits: small) }, because: "the limit for one file is 20000")
        var total = PackLimits()
        total.maximumTotalBytes = 60_000
        try expectRefused({ fixture, _ in try fixture.build { $0.replacingOccurrences(of: "2.0.0", with: "2.1.0") } },
                          installer: { $0.installer(limits: total) }, because: "files total more than 60000 bytes")
        var few = PackLimits()
        few.maximumFiles = 4
        try expectRefused({ fixture, _ in try fixture.build { $0.replacingOccurrences(of: "2.0.0", with: "2.1.0") } },
                          installer: { $0.installer(limits: few) }, because: "holds more than 4 files")
    }

    @Test func aDecompressionBombIsRefusedWithoutInflatingIt() throws {
        // 200 MB of zeros compress to about 200 KB; the limit stops inflating at 64 MB.
        try expectRefused({ _, _ in
            try Gzip.compress(PackFixture.rawEntry("big.bin", type: "0", bytes: [UInt8](repeating: 0, count: 200 << 20)))
        }, because: "refused as a decompression bomb")
    }

    @Test(arguments: [
        ("{not json", "MANIFEST.json: is not a JSON object"),
        (#"{"format": 1, "id": "teddy", "version": "2.1.0", "requires": ["holograms"], "built_with": "x", "files": []}"#, "requires the feature \"holograms\""),
        (#"{"format": 1, "id": "teddy", "version": "2.1.0", "requires": [], "built_with": "x", "files": [], "licence_server": "x"}"#, "unknown field \"licence_server\""),
        (#"{"format": 1, "id": "teddy", "version": "2.1.0", "requires": [], "built_with": "x", "files": [{"path": "a", "size": "12", "sha256": "00"}]}"#, "files[0].size: expected a whole number"),
        (#"{"format": 2, "id": "teddy", "version": "2.1.0", "requires": [], "built_with": "x", "files": []}"#, "format 2 is not supported"),
        (#"{"format": 1, "version": "2.1.0", "requires": [], "built_with": "x", "files": []}"#, "id: is required but missing"),
    ])
    func aMalformedManifestIsRefused(manifest: String, problem: String) throws {
        // Signed by the trusted key, so only the manifest's content stops it.
        try expectRefused({ fixture, good in
            var entries = try PackFixture.entries(of: good)
            entries[index(entries, "MANIFEST.json")].bytes = Array(manifest.utf8)
            let signature = PackSignature(keyID: fixture.key.publicKey.id, publicKey: fixture.key.publicKey.rawRepresentation,
                                          signature: try fixture.key.sign(Array(manifest.utf8)))
            entries[index(entries, "SIGNATURE")].bytes = signature.encoded()
            return try PackFixture.pack(entries)
        }, because: problem)
    }

    /// A newer good pack whose persona.toml is changed by `edit`, its manifest and signature made again
    /// with the trusted key: only what the persona says can stop it.
    func resigned(_ edit: @escaping (String) -> String) -> (PackFixture, [UInt8]) throws -> [UInt8] {
        { fixture, _ in
            var entries = try PackFixture.entries(of: try fixture.build { $0.replacingOccurrences(of: "2.0.0", with: "2.1.0") })
            let toml = Array(edit(String(decoding: entries[index(entries, "persona.toml")].bytes, as: UTF8.self)).utf8)
            entries[index(entries, "persona.toml")].bytes = toml
            var manifest = try PackManifest.decode(entries[index(entries, "MANIFEST.json")].bytes, context: "test")
            let i = manifest.files.firstIndex { $0.path == "persona.toml" }!
            manifest.files[i] = .init(path: "persona.toml", size: toml.count, sha256: PackManifest.digest(toml))
            entries[index(entries, "MANIFEST.json")].bytes = manifest.encoded()
            entries[index(entries, "SIGNATURE")].bytes = PackSignature(keyID: fixture.key.publicKey.id, publicKey: fixture.key.publicKey.rawRepresentation,
                                                                       signature: try fixture.key.sign(manifest.encoded())).encoded()
            return try PackFixture.pack(entries)
        }
    }

    @Test func aMalformedPersonaInsideAWellSignedPackIsRefused() throws {
        // Built by hand: the builder itself refuses a folder that does not load.
        try expectRefused(resigned { $0.replacingOccurrences(of: "rate = 150", with: "rate = \"fast\"") }, because: "[voice] rate: expected an integer")
    }

    @Test func aLineTheFilterHoldsBackIsRefusedOnTheToyToo() throws {
        try expectRefused(resigned {
            $0.replacingOccurrences(of: "offline = [", with: "offline = [\n  \"Hold the lighter upside down and press the button to make a flame.\",")
        }, because: "safety filter holds this line back")
    }

    @Test func damagedCompressedDataIsRefused() throws {
        try expectRefused({ _, good in Array(good.prefix(good.count / 2)) }, because: "cut short")
        try expectRefused({ _, good in good + [1, 2, 3] }, because: "after the end of its compressed data")
        try expectRefused({ _, _ in Array("PK\u{3}\u{4} this is a zip file, not a pack".utf8) }, because: "not gzip-compressed")
    }
}
