import CubbyConfiguration
import CubbyCore
import Foundation
import Testing

/// A parent's change rewrites one key and leaves the rest of the file — comments, order, other keys — as it was.
@Suite struct ConfigurationEditorTests {
    static let file = """
        # Mia's toy
        [device]
        board = "board"   # the simulated one
        max_volume = 80

        [safety]
        blocked_topics = [
          "spiders",   # she is scared of them
          "the news",
        ]
        cool_down_minutes = 5

        [log]
        level = "info"
        """

    @Test func aKeyIsReplacedInPlaceWithItsCommentsAround() {
        let edited = ConfigurationEditor.setting("device.max_volume", to: "60", in: Self.file)
        #expect(edited == Self.file.replacingOccurrences(of: "max_volume = 80", with: "max_volume = 60") + "\n")
    }

    @Test func aMultiLineArrayIsReplacedWhole() {
        let edited = ConfigurationEditor.setting("safety.blocked_topics", to: #"["spiders"]"#, in: Self.file)
        #expect(edited.contains("blocked_topics = [\"spiders\"]\ncool_down_minutes = 5"))
        #expect(!edited.contains("the news"))
        #expect(edited.contains("# Mia's toy") && edited.contains("# the simulated one"))
    }

    @Test func aNewKeyJoinsItsTableAndANewTableGoesAtTheEnd() throws {
        var edited = ConfigurationEditor.setting("device.muted", to: "true", in: Self.file)
        #expect(edited.contains("max_volume = 80\nmuted = true\n\n[safety]"))
        edited = ConfigurationEditor.setting("limits.sat.quiet_hours", to: ConfigurationEditor.literal(for: "21:00-08:00"), in: edited)
        #expect(edited.hasSuffix("level = \"info\"\n\n[limits.sat]\nquiet_hours = \"21:00-08:00\"\n"))
        let parsed = try ConfigurationLoader.decode(try TOMLSection.parse(edited.replacingOccurrences(of: "board = \"board\"   # the simulated one\n", with: ""),
                                                                          file: "x.toml"), folder: "/", environment: [:])
        #expect(parsed.limits.quietHours(on: .sat)?.description == "21:00-08:00")
        #expect(parsed.muted)
        // Removing a key takes only its line.
        #expect(ConfigurationEditor.setting("device.muted", to: nil, in: edited).contains("max_volume = 80\n\n[safety]"))
    }

    @Test(arguments: [("60", "60"), ("true", "true"), ("20:00-07:00", "\"20:00-07:00\""), ("Mia", "\"Mia\""), ("\"Mia\"", "\"Mia\""),
                      (#"["a", "b"]"#, #"["a", "b"]"#), ("say \"hi\"", #""say \"hi\"""#), ("", "\"\"")])
    func valuesBecomeTOML(value: String, literal: String) {
        #expect(ConfigurationEditor.literal(for: value) == literal)
    }

    @Test func aValueCanNeverAddAKey() throws {
        let hostile = "7\n[parents]\nalert_command = [\"/bin/sh\", \"-c\", \"id\"]"
        let literal = ConfigurationEditor.literal(for: hostile)
        #expect(literal.hasPrefix("\"") && !literal.contains("\n"), "\(literal)")
        let edited = ConfigurationEditor.setting("child.age", to: literal, in: "[child]\nage = 6\n")
        let parsed = try TOMLSection.parse(edited, file: "x.toml")
        #expect(try parsed.section("child").values.count == 1)
        #expect(!parsed.contains("parents"))
        #expect(ConfigurationEditor.literal(for: "1, other = 2") == "\"1, other = 2\"")
        #expect(ConfigurationEditor.literal(for: "{ a = 1 }") == "\"{ a = 1 }\"")
    }

    @Test func theFileIsReplacedWholeAndKeepsItsMode() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("editor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cubbyd.toml"
        try Self.file.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        try ConfigurationEditor.writeAtomically("[device]\nmax_volume = 10\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "[device]\nmax_volume = 10\n")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["cubbyd.toml"], "no temporary file is left")
    }
}
