import CubbyControl
import CubbyCore
import CubbyTestSupport
import Foundation
import Testing

/// `cubby` against a running daemon, as a parent uses it: settings changed live and written to the
/// configuration, the PIN and the unlock, status and logs, and the same commands on a toy elsewhere
/// through ssh.
@Suite(.serialized) struct ParentsAppTests {
    typealias Toy = ControlChannelTests.Toy

    static func cubby(_ toy: Toy, _ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run("cubby", arguments + ["--config", toy.sandbox.configPath], environment: environment)
    }

    static func pinFiles(_ toy: Toy) throws -> String {
        let path = toy.sandbox.folder + "/parent.pin"
        try "2468\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func settingsChangeLiveNeedThePINAndABadValueGetsTheCheckConfigMessage() async throws {
        let toy = try await Toy.start()
        defer { toy.discard() }
        let pin = try Self.pinFiles(toy)
        let home = ["HOME": toy.sandbox.folder, "XDG_RUNTIME_DIR": toy.sandbox.folder + "/run"]
        func cubby(_ arguments: [String]) async throws -> ProcessRunner.Result { try await Self.cubby(toy, arguments, environment: home) }
        #expect(try await cubby(["pin", "set", "--new-pin-file", pin]).status == 0)
        let original = try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8)

        let refused = try await cubby(["settings", "set", "limits.daily_minutes", "45"])
        #expect(refused.status == 77 && refused.stderr.contains("this needs the parent PIN"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8) == original)

        let changed = try await cubby(["limits", "--daily", "45", "--quiet", "19:30-07:00", "--day", "sat", "--pin-file", pin])
        #expect(changed.status == 0 && changed.stdout.contains("limits.sat.daily_minutes = 45"), "\(changed.stderr)")
        let file = try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8)
        #expect(file.contains("[limits.sat]\ndaily_minutes = 45\nquiet_hours = \"19:30-07:00\""), "\(file)")
        #expect(file.contains("# a loaded test machine is slow to accept"), "the parent's file keeps its comments")
        let status = try await cubby(["settings", "get", "limits.sat.quiet_hours", "--json"])
        #expect(status.stdout.contains(#""limits.sat.quiet_hours":"\"19:30-07:00\"""#), "\(status.stdout)")

        // A value the daemon would not start with is refused in --check-config's own words, and nothing changes.
        let bad = try await cubby(["settings", "set", "limits.quiet_hours", "25:00-07:00", "--pin-file", pin])
        try file.replacingOccurrences(of: "[limits.sat]", with: "[limits]\nquiet_hours = \"25:00-07:00\"\n[limits.sat]")
            .write(toFile: toy.sandbox.folder + "/broken.toml", atomically: true, encoding: .utf8)
        let check = try await ProcessRunner.run("cubbyd", ["--check-config", "--config", toy.sandbox.folder + "/broken.toml"])
        let checkLine = try #require(check.stderr.split(separator: "\n").first { $0.contains("[limits] quiet_hours") }, "\(check.stderr)")
        let reason = String(checkLine[checkLine.range(of: "[limits] quiet_hours")!.lowerBound...])
        #expect(bad.status == 65 && bad.stderr.contains(reason), "cubby: \(bad.stderr)\ncheck-config: \(check.stderr)")
        #expect(try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8) == file)
        let notParents = try await cubby(["settings", "set", "device.data_dir", "/tmp", "--pin-file", pin])
        #expect(notParents.status == 65 && notParents.stderr.contains("not a setting a parent can change"))
        let elsewhere = try await cubby(["settings", "set", "cloud.base_url", "https://attacker.example", "--pin-file", pin])
        #expect(elsewhere.status == 65 && elsewhere.stderr.contains("not a setting a parent can change"), "where the child's words go is the administrator's")
        let smuggled = try await cubby(["settings", "set", "child.name", "Mia\n[parents]\nalert_command = [\"/bin/sh\"]", "--pin-file", pin])
        #expect(smuggled.status == 65 && smuggled.stderr.contains("one line"), "\(smuggled.stderr)")
        #expect(try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8) == file)

        // An unlock lets changes through without the PIN until `cubby lock`.
        #expect(try await cubby(["unlock", "--pin-file", pin]).stdout.contains("unlocked for 10 minutes"))
        #expect(try await cubby(["volume", "--cap", "40"]).status == 0)
        #expect(try await cubby(["topics", "block", "spiders"]).status == 0)
        #expect(try await cubby(["topics", "list"]).stdout.contains("spiders"))
        #expect(try await cubby(["lock"]).status == 0)
        #expect(try await cubby(["age", "7"]).status == 77)

        // Live: the status reads the new values, and the log shows who changed what.
        let json = try await cubby(["status", "--json"])
        let reply = try JSONDecoder().decode(ControlStatusProbe.self, from: Data(json.stdout.utf8))
        #expect(reply.max_volume == 40 && reply.pin_set && reply.child_age == 6, "\(json.stdout)")
        let logs = try await cubby(["logs"])
        #expect(logs.stdout.contains("settings.set") && logs.stdout.contains("device.max_volume = 40") && logs.stdout.contains("unlock"), "\(logs.stdout)")
        #expect(await toy.stop().status == 0)
    }

    struct ControlStatusProbe: Decodable {
        var max_volume: Int
        var pin_set: Bool
        var child_age: Int
        var daily_minutes: Int
        var played_today_minutes: Double
    }

    @Test func readingNeedsThePINWhenTheParentSaidSo() async throws {
        let toy = try await Toy.start { sandbox in
            try sandbox.write(config: try String(contentsOfFile: sandbox.configPath, encoding: .utf8) + "\n[parents]\nread_without_pin = false\n")
        }
        defer { toy.discard() }
        let pin = try Self.pinFiles(toy)
        #expect(try await Self.cubby(toy, ["pin", "set", "--new-pin-file", pin]).status == 0)
        #expect(try await Self.cubby(toy, ["status"]).status == 77)
        #expect(try await Self.cubby(toy, ["history"]).status == 77)
        let allowed = try await Self.cubby(toy, ["status", "--pin-file", pin])
        #expect(allowed.status == 0 && allowed.stdout.contains("today:    played 0 min, 60 min left of 60"), "\(allowed.stdout)")
        #expect(await toy.stop().status == 0)
    }

    @Test func theSameCommandsWorkOnAToyElsewhereThroughSSH() async throws {
        let toy = try await Toy.start()
        defer { toy.discard() }
        let pin = try Self.pinFiles(toy)
        // Stands in for ssh: drops the host and "--", and runs the toy's own cubby.
        let ssh = toy.sandbox.folder + "/fake-ssh"
        try """
            #!/bin/sh
            echo "$1" > "\(toy.sandbox.folder)/ssh-host"
            shift; shift; shift
            exec "\(ProcessRunner.binFolder)/cubby" "$@"
            """.write(toFile: ssh, atomically: true, encoding: .utf8)
        chmod(ssh, 0o755)
        let remote = ["CUBBY_SSH": ssh]
        func cubby(_ arguments: [String]) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run("cubby", ["--host", "mia@toy.local"] + arguments + ["--socket", toy.socket], environment: remote)
        }
        let status = try await cubby(["status"])
        #expect(status.status == 0 && status.stdout.contains("persona:  teddy"), "\(status.stdout)\(status.stderr)")
        #expect(try String(contentsOfFile: toy.sandbox.folder + "/ssh-host", encoding: .utf8) == "mia@toy.local\n")
        #expect(try await cubby(["pin", "set", "--new-pin-file", pin]).status == 0)
        #expect(try await cubby(["limits", "--daily", "30"]).status == 77, "the PIN is needed over ssh too")
        let set = try await cubby(["limits", "--daily", "30", "--pin-file", pin])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8).contains("daily_minutes = 30"))
        let history = try await cubby(["history", "--json"])
        #expect(history.status == 0 && history.stdout.isEmpty, "\(history.stderr)")
        // A toy that cannot be reached says so.
        let gone = try await ProcessRunner.run("cubby", ["--host", "toy.local", "status", "--socket", toy.sandbox.folder + "/nothing.sock"], environment: remote)
        #expect(gone.status == 69 && gone.stderr.contains("cannot reach the toy's daemon"), "\(gone.stderr)")
        #expect(await toy.stop().status == 0)
    }
}
