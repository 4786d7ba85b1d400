import CubbyAudio
import CubbyCore
import CubbyPersona
import CubbyPersonaPack
import CubbyTestSupport
import Foundation
import Testing

/// `cubby-pack` as a maker runs it, from a key to a pack flashed into a toy's data folder that the daemon
/// then speaks as; and the install surviving a kill at any moment.
@Suite(.serialized) struct PersonaPackProcessTests {
    static let examples = ["teddy", "tuantuan", "lumi"]

    @Test(arguments: examples)
    func anExamplePackBuildsValidatesVerifiesFlashesAndTheDaemonSpeaksAsIt(name: String) async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let keys = sandbox.folder + "/keys", pack = sandbox.folder + "/\(name).cubbypack"
        let keygen = try await ProcessRunner.run("cubby-pack", ["keygen", "--out", keys, "--name", "acme"])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: keys + "/acme.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the private key is owner-only")

        let validate = try await ProcessRunner.run("cubby-pack", ["validate", Sandbox.packageRoot + "/Personas/" + name])
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.contains("ok"))
        if name != "teddy" {
            #expect(validate.stderr.contains("warning") && validate.stderr.contains("has not been measured"), "a Chinese phrase's wake caveat is stated")
        }
        let build = try await ProcessRunner.run("cubby-pack", ["build", Sandbox.packageRoot + "/Personas/" + name, "--key", keys + "/acme.key", "--out", pack])
        #expect(build.status == 0, "\(build.stderr)")
        let verify = try await ProcessRunner.run("cubby-pack", ["verify", pack, "--trusted", keys])
        #expect(verify.status == 0 && verify.stdout.contains("verified"), "\(verify.stderr)")

        let inspect = try await ProcessRunner.run("cubby-pack", ["inspect", pack, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        #expect(json["id"] as? String == name)
        #expect((json["files"] as? [Any])?.isEmpty == false)
        #expect(try await ProcessRunner.run("cubby-pack", ["inspect", pack]).stdout.contains("locales:"))

        let preview = try await ProcessRunner.run("cubby-pack", ["preview", pack, "--out", sandbox.folder + "/preview"])
        #expect(preview.status == 0, "\(preview.stderr)")
        let wavs = try FileManager.default.contentsOfDirectory(atPath: sandbox.folder + "/preview").filter { $0.hasSuffix(".wav") }
        #expect(wavs.count >= 2)
        #expect(try WAVAudio.read(contentsOf: sandbox.folder + "/preview/" + wavs.sorted()[0]).durationSeconds > 0.5, "the preview holds speech")

        let flash = try await ProcessRunner.run("cubby-pack", ["flash", pack, "--data-dir", sandbox.folder + "/data", "--trusted", keys])
        #expect(flash.status == 0 && flash.stdout.contains("installed \(name)"), "\(flash.stderr)")
        let check = try await ProcessRunner.run("cubbyd", ["--config", sandbox.configPath, "--check-config"])
        #expect(check.stdout.contains("persona \(name)") && check.stdout.contains("installed pack"), "\(check.stdout) \(check.stderr)")

        // No cloud: the toy speaks the installed persona's own offline line, in its language, offline.
        let once = try await ProcessRunner.run("cubbyd", ["--config", sandbox.configPath, "--once", "--input", Sandbox.skyQuestion])
        let output = try #require(try JSONSerialization.jsonObject(with: Data(once.stdout.utf8)) as? [String: Any], "\(once.stderr)")
        let said = (output["said"] as? [String]) ?? []
        let persona = try PersonaPackLoader.load(directory: Sandbox.packageRoot + "/Personas/" + name)
        #expect(said.count == 1 && persona.offlineLines.contains(said[0]), "\(said)")
        if name == "tuantuan" { #expect(said[0].unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF }) }
    }

    @Test func validateReportsEachProblemWithFileAndField() async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let folder = sandbox.folder + "/pack"
        try FileManager.default.copyItem(atPath: Sandbox.packageRoot + "/Personas/teddy", toPath: folder)
        var text = try String(contentsOfFile: folder + "/persona.toml", encoding: .utf8)
        text = text.replacingOccurrences(of: "offline = [", with: "offline = [\n  \"First find the matches in the kitchen drawer, then strike one on the box.\",")
        text = text.replacingOccurrences(of: "phrases = [\"hey teddy\"]", with: "phrases = [\"hey zorblax\"]")
        try text.write(toFile: folder + "/persona.toml", atomically: true, encoding: .utf8)
        // A sound at a rate the speaker path does not take.
        let bad = WAVAudio(format: AudioFormat(sampleRate: 11_025, channels: 1), samples: [Int16](repeating: 0, count: 11_025)).encoded()
        try Data(bad).write(to: URL(fileURLWithPath: folder + "/sounds/giggle.wav"))

        let result = try await ProcessRunner.run("cubby-pack", ["validate", folder])
        #expect(result.status == 65)
        #expect(result.stderr.contains("persona.toml: [locale.en.lines] offline[0]: the toy's safety filter holds this line back (dangerous_activity"), "\(result.stderr)")
        #expect(result.stderr.contains("persona.toml: [wake] phrases: the word \"zorblax\""))
        #expect(result.stderr.contains("sounds/giggle.wav: sample rate: 11025 Hz is not supported"))
        let build = try await ProcessRunner.run("cubby-pack", ["build", folder, "--unsigned", "--out", sandbox.folder + "/x.cubbypack"])
        #expect(build.status == 65 && !FileManager.default.fileExists(atPath: sandbox.folder + "/x.cubbypack"), "a pack with errors is never built")
    }

    /// Builds teddy at `version` with a fresh key folder shared by the runs.
    static func buildTeddy(version: String, in folder: String, keys: String) async throws -> String {
        let source = folder + "/teddy-\(version)"
        if !FileManager.default.fileExists(atPath: source) {
            try FileManager.default.copyItem(atPath: Sandbox.packageRoot + "/Personas/teddy", toPath: source)
            let text = try String(contentsOfFile: source + "/persona.toml", encoding: .utf8).replacingOccurrences(of: "version = \"2.0.0\"", with: "version = \"\(version)\"")
            try text.write(toFile: source + "/persona.toml", atomically: true, encoding: .utf8)
        }
        let pack = folder + "/teddy-\(version).cubbypack"
        let build = try await ProcessRunner.run("cubby-pack", ["build", source, "--key", keys + "/acme.key", "--out", pack])
        #expect(build.status == 0, "\(build.stderr)")
        return pack
    }

    /// The store after a kill: a persona that loads with every file matching its digest, one of the two
    /// versions, and every version the state names complete.
    static func expectWhole(_ data: String, versions: Set<String> = ["2.0.0", "2.1.0"], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let store = PersonaStore(dataDirectory: data)
        var problems: [CubbyError] = []
        let persona = store.activePersona(problems: &problems)
        #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
        #expect(versions.contains(persona?.version.description ?? "none"), sourceLocation: sourceLocation)
        for (id, entry) in try store.state().personas {
            for version in [entry.current, entry.previous].compactMap({ $0 }) {
                #expect(throws: Never.self, sourceLocation: sourceLocation) { _ = try store.loadInstalled(id: id, version: version) }
            }
        }
    }

    @Test func aKillAtEachStepOfAnInstallLeavesTheOldOrTheNewPersonaWhole() async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let keys = sandbox.folder + "/keys", data = sandbox.folder + "/data"
        _ = try await ProcessRunner.run("cubby-pack", ["keygen", "--out", keys, "--name", "acme"])
        let old = try await Self.buildTeddy(version: "2.0.0", in: sandbox.folder, keys: keys)
        #expect(try await ProcessRunner.run("cubby-pack", ["flash", old, "--data-dir", data, "--trusted", keys]).status == 0)
        for (index, step) in PersonaStore.Step.allCases.enumerated() {
            // A version never installed before, so every step of a full install is reached.
            let newVersion = "2.1.\(index)"
            let new = try await Self.buildTeddy(version: newVersion, in: sandbox.folder, keys: keys)
            let killed = try await ProcessRunner.run("cubby-pack", ["flash", new, "--data-dir", data, "--trusted", keys, "--kill-at", step.rawValue])
            #expect(killed.reason == .uncaughtSignal && killed.status == SIGKILL, "killed at \(step)")
            try Self.expectWhole(data, versions: ["2.0.0", newVersion])
            var problems: [CubbyError] = []
            let version = PersonaStore(dataDirectory: data).activePersona(problems: &problems)?.version.description
            let switched = PersonaStore.Step.allCases.firstIndex(of: step)! >= PersonaStore.Step.allCases.firstIndex(of: .switched)!
            #expect(version == (switched ? newVersion : "2.0.0"), "killed at \(step)")
            // Back to the old version for the next step; leftovers of the kill are cleaned on the way.
            let back = try await ProcessRunner.run("cubby-pack", ["flash", old, "--data-dir", data, "--trusted", keys, "--allow-downgrade"])
            #expect(back.status == 0, "\(back.stderr)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: data + "/personas").filter { $0.hasPrefix(".staging") || $0.hasPrefix(".trash") }
            #expect(leftovers.isEmpty, "after \(step): \(leftovers)")
        }
    }

    @Test func aHundredKillsAtRandomMomentsNeverLeaveABrokenPersona() async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let keys = sandbox.folder + "/keys", data = sandbox.folder + "/data"
        _ = try await ProcessRunner.run("cubby-pack", ["keygen", "--out", keys, "--name", "acme"])
        let packs = ["2.0.0": try await Self.buildTeddy(version: "2.0.0", in: sandbox.folder, keys: keys),
                     "2.1.0": try await Self.buildTeddy(version: "2.1.0", in: sandbox.folder, keys: keys)]
        #expect(try await ProcessRunner.run("cubby-pack", ["flash", packs["2.0.0"]!, "--data-dir", data, "--trusted", keys]).status == 0)
        // How long a whole install takes here, so the kills spread over all of it.
        let clock = ContinuousClock()
        let whole = try await clock.measure {
            _ = try await ProcessRunner.run("cubby-pack", ["flash", packs["2.1.0"]!, "--data-dir", data, "--trusted", keys])
        }
        var generator = SystemRandomNumberGenerator()
        var completed = 0
        for run in 0..<100 {
            var problems: [CubbyError] = []
            let current = PersonaStore(dataDirectory: data).activePersona(problems: &problems)?.version.description
            let target = current == "2.1.0" ? "2.0.0" : "2.1.0"
            let (process, out, err) = try ProcessRunner.start("cubby-pack", ["flash", packs[target]!, "--data-dir", data, "--trusted", keys, "--allow-downgrade"])
            let delay = Duration.microseconds(Int64.random(in: 0...Int64(whole.components.seconds * 1_000_000 + whole.components.attoseconds / 1_000_000_000_000), using: &generator))
            try await Task.sleep(for: delay)
            kill(process.processIdentifier, SIGKILL)
            let result = await ProcessRunner.finish(process, out, err)
            if result.reason == .exit { completed += 1; #expect(result.status == 0, "run \(run): \(result.stderr)") }
            try Self.expectWhole(data, sourceLocation: #_sourceLocation)
        }
        #expect(completed < 90, "most runs are killed part-way (\(completed) finished)")
    }
}

