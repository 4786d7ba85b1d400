import CubbyTestSupport
import Foundation
import Testing

/// The setup wizard and the menu in a real 80×24 terminal (tmux), typed into and read off the screen
/// as a parent would: the wizard's answers reach the running daemon, an interrupted setup resumes where
/// it stopped, and the menu shows the toy's status.
@Suite(.serialized) struct SetupWizardTests {
    typealias Toy = ControlChannelTests.Toy

    static func startToy() async throws -> Toy {
        try await Toy.start { sandbox in
            let config = try String(contentsOfFile: sandbox.configPath, encoding: .utf8)
            try sandbox.write(config: config.replacingOccurrences(of: "base_url = \"\"", with: "base_url = \"http://127.0.0.1:9/v1\""))
        }
    }

    static func terminal(for toy: Toy) async throws -> TmuxSession {
        try await TmuxSession(environment: ["HOME": toy.sandbox.folder, "XDG_RUNTIME_DIR": toy.sandbox.folder + "/run",
                                            "CUBBY": ProcessRunner.binFolder + "/cubby", "CONFIG": toy.sandbox.configPath])
    }

    @Test func aParentSetsTheToyUpInATerminalAndAnInterruptedSetupResumes() async throws {
        let toy = try await Self.startToy()
        defer { toy.discard() }
        let tmux = try await Self.terminal(for: toy)
        defer { Task { await tmux.kill() } }

        try await tmux.send(text: "$CUBBY setup --config $CONFIG; echo EXIT:$?")
        let consent = try await tmux.waitFor("Do you agree?")
        #expect(consent.contains("step 1 of 9: What the toy keeps"), "\(consent)")
        #expect(consent.contains("127.0.0.1:9/v1") && consent.contains("audio is not stored"), "the parent sees who receives what:\n\(consent)")
        #expect(consent.split(separator: "\n").count <= 24)
        try await tmux.press("Enter")

        try await tmux.waitFor("New PIN")
        try await tmux.send(text: "2468")
        try await tmux.waitFor("Again")
        try await tmux.send(text: "2468")
        try await tmux.waitFor("first name")
        try await tmux.send(text: "Mia")
        try await tmux.waitFor("Age (3-12)")
        try await tmux.send(text: "7")
        try await tmux.waitFor("Language")
        try await tmux.press("Down", "Up", "Enter")
        // The parent is called away: Ctrl-C at the next step.
        try await tmux.waitFor("The toy's character")
        try await tmux.press("C-c")
        try await tmux.waitFor("^C\nbash")

        try await tmux.send(text: "clear; $CUBBY setup --config $CONFIG; echo EXIT:$?")
        let resume = try await tmux.waitFor("last time")
        #expect(resume.contains("Setup stopped at \"The toy's character\" last time."), "\(resume)")
        try await tmux.press("Enter")
        try await tmux.waitFor("Press Enter")
        try await tmux.press("Enter")
        try await tmux.waitFor("API key")
        try await tmux.send(text: "sk-test-1234")
        try await tmux.waitFor("Quiet hours (HH:MM-HH:MM, or off) [20:00-07:00]")
        try await tmux.press("Enter")
        try await tmux.waitFor("Minutes a day")
        try await tmux.send(text: "45")
        try await tmux.waitFor("Minutes in one sitting")
        try await tmux.press("Enter")
        try await tmux.waitFor("Rest reminder")
        try await tmux.press("Enter")
        try await tmux.waitFor("Reading:")
        try await tmux.press("Down", "Enter")
        let done = try await tmux.waitFor("The toy is ready")
        #expect(done.contains("child:    Mia, age 7") && done.contains("PIN:      set"), "\(done)")
        try await tmux.press("Enter")
        try await tmux.waitFor("EXIT:0")

        // What the wizard did is in the configuration and the daemon.
        let config = try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8)
        for line in ["name = \"Mia\"", "age = 7", "language = \"en\"", "quiet_hours = \"20:00-07:00\"", "daily_minutes = 45", "read_without_pin = false"] {
            #expect(config.contains(line), "\(line) in\n\(config)")
        }
        let keyFile = toy.data + "/cloud.key"
        #expect(try String(contentsOfFile: keyFile, encoding: .utf8) == "sk-test-1234\n")
        #expect((try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!config.contains("sk-test-1234"), "the key is not in the configuration")
        let pin = toy.sandbox.folder + "/pin"
        try "2468".write(toFile: pin, atomically: true, encoding: .utf8)
        let logs = try await ProcessRunner.run("cubby", ["logs", "--config", toy.sandbox.configPath, "--pin-file", pin])
        #expect(logs.stdout.contains("consent") && logs.stdout.contains("pin.set"), "\(logs.stdout)")
        #expect(await toy.stop().status == 0)
    }

    @Test func theMenuWorksWithArrowKeysAtEightyByTwentyFour() async throws {
        let toy = try await Self.startToy()
        defer { toy.discard() }
        let tmux = try await Self.terminal(for: toy)
        defer { Task { await tmux.kill() } }

        try await tmux.send(text: "$CUBBY --config $CONFIG; echo EXIT:$?")
        let menu = try await tmux.waitFor("parents' menu")
        #expect(menu.contains("Status") && menu.contains("Quit"), "\(menu)")
        try await tmux.press("Down", "Up", "Enter")
        let status = try await tmux.waitFor("Press Enter")
        #expect(status.contains("persona:  teddy") && status.contains("today:    played 0 min, 60 min left of 60"), "\(status)")
        #expect(status.split(separator: "\n", omittingEmptySubsequences: false).allSatisfy { $0.count <= 80 })
        try await tmux.press("Enter")
        try await tmux.waitFor("parents' menu")
        try await tmux.press("4")
        try await tmux.waitFor("Which one?")
        try await tmux.press("Enter")
        try await tmux.waitFor("New value for daily_minutes")
        try await tmux.send(text: "50")
        let changed = try await tmux.waitFor("Press Enter")
        #expect(changed.contains("changed limits.daily_minutes = 50"), "\(changed)")
        try await tmux.press("Enter")
        try await tmux.waitFor("parents' menu")
        try await tmux.press("q")
        try await tmux.waitFor("EXIT:0")
        #expect(try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8).contains("daily_minutes = 50"))
        #expect(await toy.stop().status == 0)
    }
}
