import Foundation
import CubbyTestSupport
import Testing

/// `cubby` and `cubby-pack` as a parent or maker runs them.
@Suite struct ToolCommandTests {
    @Test func wakeScanPrintsOneJSONLinePerDetectionAndReportsUnreadableFiles() async throws {
        let result = try await ProcessRunner.run("cubby", [
            "wake", "scan", "--phrase", "hey teddy",
            Sandbox.skyQuestion, "/nonexistent/missing.wav", Sandbox.sample("no-wake-phrase-talk"),
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/missing.wav"))
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == 1, "stdout: \(result.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(json["file"] as? String == Sandbox.skyQuestion)
        let start = try #require(json["start"] as? Double), end = try #require(json["end"] as? Double)
        // "hey teddy" is spoken from 0.5 s to about 1.2 s in the sample.
        #expect(start >= 0.3 && start < end && end < 1.6, "\(start)...\(end)")
        #expect((0...1).contains(try #require(json["score"] as? Double)))
    }

    @Test func wakeScoresSitOnTheSensitivityScale() async throws {
        // The near miss in the talk sample scores about 0.4: heard at sensitivity 0.7 (score ≥ 0.3) and not
        // at 0.5 (score ≥ 0.5); a detection is reported exactly when score ≥ 1 − sensitivity.
        let talk = Sandbox.sample("no-wake-phrase-talk")
        let loose = try await ProcessRunner.run("cubby", ["wake", "scan", "--no-verify", "--phrase", "hey teddy", "--sensitivity", "0.7", talk])
        let strict = try await ProcessRunner.run("cubby", ["wake", "scan", "--no-verify", "--phrase", "hey teddy", "--sensitivity", "0.5", talk])
        let scores = try loose.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["score"] as? Double ?? -1
        }
        #expect(!scores.isEmpty && scores.allSatisfy { $0 >= 0.3 - 0.001 }, "scores at 0.7: \(scores)")
        #expect(scores.contains { $0 < 0.5 }, "a near miss scoring under 0.5 exists: \(scores)")
        #expect(strict.stdout.isEmpty, "nothing at the shipping default: \(strict.stdout)")
        // With the near-miss check (the default), the near miss is turned down even at 0.7.
        let checked = try await ProcessRunner.run("cubby", ["wake", "scan", "--phrase", "hey teddy", "--sensitivity", "0.7", talk])
        #expect(checked.status == 0 && checked.stdout.isEmpty, "\(checked.stdout)")
        // And the front end, which the toy runs before the detector, still finds the real phrase.
        let cleaned = try await ProcessRunner.run("cubby", ["wake", "scan", "--front-end", "--phrase", "hey teddy", Sandbox.skyQuestion])
        #expect(cleaned.status == 0 && cleaned.stdout.split(separator: "\n").count == 1, "\(cleaned.stdout)")
    }

    @Test func everyExecutableAnswersHelpAndVersion() async throws {
        for name in ["cubbyd", "cubby", "cubby-pack"] {
            let version = try await ProcessRunner.run(name, ["--version"])
            #expect(version.status == 0 && version.stdout.hasPrefix("\(name) 0."), "\(name): \(version.stdout)")
            let help = try await ProcessRunner.run(name, ["--help"])
            #expect(help.status == 0 && help.stdout.contains("USAGE: \(name)"))
        }
    }

    @Test func packValidateAcceptsTheExampleAndRefusesABrokenPack() async throws {
        let good = try await ProcessRunner.run("cubby-pack", ["validate", Sandbox.packageRoot + "/Personas/teddy"])
        #expect(good.status == 0 && good.stdout.contains("Teddy"))
        let bad = try await ProcessRunner.run("cubby-pack", ["validate", "/nonexistent/pack"])
        #expect(bad.status == 65 && bad.stderr.contains("/nonexistent/pack"))
    }

    @Test func transcriptsShowWhatTheToyHeardSaidAndHeldBack() async throws {
        let sandbox = try Sandbox(cloud: nil)
        defer { sandbox.remove() }
        let run = try await ProcessRunner.run("cubbyd", ["--config", sandbox.configPath, "--once", "--input", Sandbox.skyQuestion])
        #expect(run.status == 0)
        let transcripts = try await ProcessRunner.run("cubby", ["transcripts", "--config", sandbox.configPath])
        #expect(transcripts.status == 0)
        #expect(transcripts.stdout.contains("[offline]") && transcripts.stdout.contains("thinking cloud"))
    }
}
