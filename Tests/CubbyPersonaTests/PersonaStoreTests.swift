@testable import CubbyPersonaPack
import CubbyCore
import CubbyPersona
import Foundation
import Testing

@Suite struct PersonaStoreTests {
    func version(_ v: String) -> (String) -> String { { $0.replacingOccurrences(of: "version = \"2.0.0\"", with: "version = \"\(v)\"") } }

    func active(_ fixture: PackFixture) -> String? {
        var problems: [CubbyError] = []
        return fixture.store.activePersona(problems: &problems).map { "\($0.id) \($0.version)" }
    }

    @Test func anUpgradeKeepsThePreviousVersionForRollbackAndADowngradeNeedsConsent() throws {
        let fixture = try PackFixture()
        defer { fixture.remove() }
        let installer = fixture.installer()
        let (first, _) = try installer.install(file: try fixture.write(try fixture.build()))
        #expect(first == .installed(id: "teddy", version: "2.0.0", replaced: nil))
        let (second, _) = try installer.install(file: try fixture.write(try fixture.build(edit: version("2.1.0"))))
        #expect(second == .installed(id: "teddy", version: "2.1.0", replaced: "2.0.0"))
        #expect(active(fixture) == "teddy 2.1.0")

        #expect(try fixture.store.rollback() == ("teddy", "2.1.0", "2.0.0"))
        #expect(active(fixture) == "teddy 2.0.0")
        _ = try fixture.store.rollback()
        #expect(active(fixture) == "teddy 2.1.0", "a second rollback goes forward again")

        let older = try fixture.write(try fixture.build(edit: version("1.5.0")))
        #expect { _ = try installer.install(file: older) } throws: { "\($0)".contains("older than the installed 2.1.0; installing it needs --allow-downgrade") }
        #expect(active(fixture) == "teddy 2.1.0")
        _ = try installer.install(file: older, allowDowngrade: true)
        #expect(active(fixture) == "teddy 1.5.0")
        #expect(try fixture.store.state().personas["teddy"] == .init(current: "1.5.0", previous: "2.1.0"))
        let versions = try FileManager.default.contentsOfDirectory(atPath: fixture.store.root + "/packs/teddy").sorted()
        #expect(versions == ["1.5.0", "2.1.0"], "only the current and previous versions are kept")
    }

    @Test func theSameVersionWithOtherContentIsRefusedAndTheSameBytesAreANoOp() throws {
        let fixture = try PackFixture()
        defer { fixture.remove() }
        let installer = fixture.installer()
        let pack = try fixture.write(try fixture.build())
        _ = try installer.install(file: pack)
        #expect(try installer.install(file: pack).0 == .alreadyInstalled(id: "teddy", version: "2.0.0"))
        let changed = try fixture.write(try fixture.build { $0.replacingOccurrences(of: "rate = 150", with: "rate = 151") })
        #expect { _ = try installer.install(file: changed) } throws: { "\($0)".contains("a different teddy 2.0.0 is installed") }
    }

    @Test func switchingAndRemovingPersonas() throws {
        let fixture = try PackFixture()
        defer { fixture.remove() }
        let installer = fixture.installer()
        _ = try installer.install(file: try fixture.write(try fixture.build("teddy")))
        _ = try installer.install(file: try fixture.write(try fixture.build("tuantuan")))
        #expect(active(fixture) == "tuantuan 1.0.0")
        #expect(try fixture.store.list().map(\.id) == ["tuantuan", "teddy"], "active first")

        #expect { try fixture.store.remove(id: "tuantuan") } throws: { "\($0)".contains("is the active persona; switch to another one") }
        try fixture.store.activate(id: "teddy")
        #expect(active(fixture) == "teddy 2.0.0")
        try fixture.store.remove(id: "tuantuan")
        #expect(!FileManager.default.fileExists(atPath: fixture.store.root + "/packs/tuantuan"))
        #expect { try fixture.store.activate(id: "tuantuan") } throws: { "\($0)".contains("no persona \"tuantuan\" is installed (installed: teddy)") }
        #expect { _ = try fixture.store.rollback() } throws: { "\($0)".contains("only version installed") }
    }

    @Test func leftoversOfACrashAreCleanedAndADamagedVersionFallsBack() throws {
        let fixture = try PackFixture()
        defer { fixture.remove() }
        let installer = fixture.installer()
        _ = try installer.install(file: try fixture.write(try fixture.build()))
        _ = try installer.install(file: try fixture.write(try fixture.build(edit: version("2.1.0"))))
        // What a crash mid-install leaves: a staging folder and a version folder no state names.
        try FileManager.default.createDirectory(atPath: fixture.store.root + "/.staging-1-2/sounds", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: fixture.store.root + "/packs/teddy/3.0.0", withIntermediateDirectories: true)
        _ = try installer.install(file: try fixture.write(try fixture.build("lumi")))
        #expect(!FileManager.default.fileExists(atPath: fixture.store.root + "/.staging-1-2"))
        #expect(!FileManager.default.fileExists(atPath: fixture.store.root + "/packs/teddy/3.0.0"))

        try fixture.store.activate(id: "teddy")
        // A flash card flips a byte in the current version: the toy falls back to the previous one.
        let toml = fixture.store.folder(id: "teddy", version: "2.1.0") + "/persona.toml"
        try (String(contentsOfFile: toml, encoding: .utf8) + "\n# damaged\n").write(toFile: toml, atomically: true, encoding: .utf8)
        var problems: [CubbyError] = []
        #expect(fixture.store.activePersona(problems: &problems)?.version == SemanticVersion("2.0.0"))
        #expect(problems.map(\.message) == ["installed file persona.toml no longer matches its digest: the pack is damaged"])
    }
}
