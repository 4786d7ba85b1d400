import CubbyControl
import CubbyCore
import CubbyPersonaPack
import CubbyTestSupport
import Foundation
import GRDB
import Testing

/// The running daemon's control channel and inbox, driven by `cubby` and by raw sockets as a hostile
/// client would: changes apply live, refusals change nothing, and bad clients do not disturb the toy.
@Suite(.serialized) struct ControlChannelTests {
    struct Toy {
        let sandbox: Sandbox
        let process: Process
        let out: Pipe, err: Pipe
        var keys: String { sandbox.folder + "/keys" }
        var data: String { sandbox.folder + "/data" }
        var socket: String { data + "/control.sock" }

        static func start(prepare: (Sandbox) throws -> Void = { _ in }) async throws -> Toy {
            let sandbox = try Sandbox(cloud: nil, extra: """
                [personas]
                trusted_keys = "keys"
                inbox_poll_ms = 200
                """)
            try prepare(sandbox)
            _ = try await ProcessRunner.run("cubby-pack", ["keygen", "--out", sandbox.folder + "/keys", "--name", "acme"])
            let (process, out, err) = try ProcessRunner.start("cubbyd", ["--config", sandbox.configPath])
            let toy = Toy(sandbox: sandbox, process: process, out: out, err: err)
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: toy.socket) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            return toy
        }

        func cubby(_ arguments: [String]) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run("cubby", ["persona"] + arguments + ["--config", sandbox.configPath])
        }

        /// The same toy (sandbox, data folder) started again after it stopped.
        static func restart(_ toy: Toy) async throws -> Toy {
            try? FileManager.default.removeItem(atPath: toy.socket)
            let (process, out, err) = try ProcessRunner.start("cubbyd", ["--config", toy.sandbox.configPath])
            let again = Toy(sandbox: toy.sandbox, process: process, out: out, err: err)
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: again.socket) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            return again
        }

        func pack(_ name: String, edit: (String) -> String = { $0 }) async throws -> String {
            let source = sandbox.folder + "/src-\(UUID().uuidString.prefix(6))"
            try FileManager.default.copyItem(atPath: Sandbox.packageRoot + "/Personas/" + name, toPath: source)
            try edit(try String(contentsOfFile: source + "/persona.toml", encoding: .utf8)).write(toFile: source + "/persona.toml", atomically: true, encoding: .utf8)
            let out = source + ".cubbypack"
            let build = try await ProcessRunner.run("cubby-pack", ["build", source, "--key", keys + "/acme.key", "--out", out])
            #expect(build.status == 0, "\(build.stderr)")
            return out
        }

        /// Whatever happened in the test: the daemon is gone and the sandbox removed.
        func discard() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            sandbox.remove()
        }

        func stop() async -> ProcessRunner.Result {
            kill(process.processIdentifier, SIGTERM)
            return await ProcessRunner.finish(process, out, err)
        }
    }

    @Test func personasAreInstalledSwitchedAndRolledBackLiveAndTheChildsMemoriesStay() async throws {
        let toy = try await Toy.start()
        defer { toy.discard() }
        #expect(try await toy.cubby(["list"]).stdout.contains("no persona packs installed; the toy is teddy 2.0.0"))

        let install = try await toy.cubby(["install", try await toy.pack("tuantuan")])
        #expect(install.status == 0 && install.stdout.contains("installed 团团 (tuantuan 1.0.0)") && install.stdout.contains("active persona: tuantuan 1.0.0"), "\(install.stderr)")

        // A memory of the child's, written while 团团 is active, outlives the switch back to Teddy.
        let queue = try DatabaseQueue(path: toy.sandbox.databasePath)
        let before = try await queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM memory") ?? 0 }
        try await queue.write { try $0.execute(sql: "INSERT INTO memory (text, createdAt) VALUES ('Mia loves pandas', CURRENT_TIMESTAMP)") }
        try queue.close()

        let upgrade = try await toy.pack("teddy") { $0.replacingOccurrences(of: "version = \"2.0.0\"", with: "version = \"2.1.0\"") }
        #expect(try await toy.cubby(["install", try await toy.pack("teddy")]).status == 0)
        #expect(try await toy.cubby(["install", upgrade]).stdout.contains("replacing 2.0.0, which is kept for rollback"))
        let list = try await toy.cubby(["list"]).stdout
        #expect(list.contains("* teddy") && list.contains("2.1.0") && list.contains("(rollback to 2.0.0)") && list.contains("tuantuan"), "\(list)")

        let rollback = try await toy.cubby(["rollback"])
        #expect(rollback.stdout.contains("rolled teddy back from 2.1.0 to 2.0.0") && rollback.stdout.contains("active persona: teddy 2.0.0"), "\(rollback.stderr)")
        let downgrade = try await toy.cubby(["install", try await toy.pack("teddy") { $0.replacingOccurrences(of: "version = \"2.0.0\"", with: "version = \"1.0.0\"") }])
        #expect(downgrade.status == 65 && downgrade.stderr.contains("--allow-downgrade"))

        #expect(try await toy.cubby(["switch", "tuantuan"]).stdout.contains("active persona: tuantuan 1.0.0"))
        #expect(try await toy.cubby(["remove", "tuantuan"]).stderr.contains("switch to another one before removing it"))
        #expect(try await toy.cubby(["switch", "teddy"]).status == 0)
        #expect(try await toy.cubby(["remove", "tuantuan"]).stdout.contains("removed tuantuan"))
        #expect(try await toy.cubby(["switch", "nobody"]).stderr.contains("no persona \"nobody\" is installed (installed: teddy)"))

        let after = try toy.sandbox.rows("SELECT COUNT(*) AS n FROM memory WHERE text = 'Mia loves pandas'")
        #expect(after.first?["n"] == 1, "the child's memory outlived every switch (there were \(before) before)")
        let stopped = await toy.stop()
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("persona changed: switched to teddy; now persona teddy 2.0.0"))
        #expect(!FileManager.default.fileExists(atPath: toy.socket), "the socket is removed on shutdown")
    }

    @Test func aHostilePackSentByCubbyIsRefusedAndNothingChanges() async throws {
        let toy = try await Toy.start()
        defer { toy.discard() }
        #expect(try await toy.cubby(["install", try await toy.pack("teddy")]).status == 0)
        let state = try String(contentsOfFile: toy.data + "/personas/state.json", encoding: .utf8)

        // Signed by a maker the toy does not trust.
        let strangerKeys = toy.sandbox.folder + "/stranger"
        _ = try await ProcessRunner.run("cubby-pack", ["keygen", "--out", strangerKeys, "--name", "stranger"])
        let strange = toy.sandbox.folder + "/strange.cubbypack"
        _ = try await ProcessRunner.run("cubby-pack", ["build", Sandbox.packageRoot + "/Personas/lumi", "--key", strangerKeys + "/stranger.key", "--out", strange])
        let refused = try await toy.cubby(["install", strange])
        #expect(refused.status == 65 && refused.stderr.contains("which this device does not trust"), "\(refused.stderr)")
        // Not signed at all, and a toy not in developer mode.
        let unsigned = toy.sandbox.folder + "/unsigned.cubbypack"
        _ = try await ProcessRunner.run("cubby-pack", ["build", Sandbox.packageRoot + "/Personas/lumi", "--unsigned", "--out", unsigned])
        #expect(try await toy.cubby(["install", unsigned]).stderr.contains("unsigned packs are installed only in developer mode"))
        // Damaged on the way.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try await toy.pack("lumi"))))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: toy.sandbox.folder + "/damaged.cubbypack"))
        #expect(try await toy.cubby(["install", toy.sandbox.folder + "/damaged.cubbypack"]).status == 65)

        #expect(try String(contentsOfFile: toy.data + "/personas/state.json", encoding: .utf8) == state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: toy.data + "/personas/packs") == ["teddy"])
        #expect(await toy.stop().status == 0)
    }

    @Test func packsDroppedIntoTheInboxAreInstalledOrRejectedWithTheReason() async throws {
        // A pack the toy was installing when it stopped is not tried again.
        let toy = try await Toy.start { sandbox in
            try FileManager.default.createDirectory(atPath: sandbox.folder + "/data/inbox/.processing", withIntermediateDirectories: true)
            try Data("half".utf8).write(to: URL(fileURLWithPath: sandbox.folder + "/data/inbox/.processing/stuck.cubbypack"))
        }
        defer { toy.discard() }
        let inbox = toy.data + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try await toy.pack("lumi"), toPath: inbox + "/lumi.cubbypack")
        try Data("not a pack".utf8).write(to: URL(fileURLWithPath: inbox + "/junk.cubbypack"))
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline && !FileManager.default.fileExists(atPath: inbox + "/rejected/junk.cubbypack.txt")
                || !FileManager.default.fileExists(atPath: inbox + "/done/lumi.cubbypack") {
            try await Task.sleep(for: .milliseconds(100))
            if ContinuousClock.now > deadline { break }
        }
        #expect(FileManager.default.fileExists(atPath: inbox + "/done/lumi.cubbypack"))
        let reason = try String(contentsOfFile: inbox + "/rejected/junk.cubbypack.txt", encoding: .utf8)
        #expect(reason.contains("not gzip-compressed"))
        let stuck = try String(contentsOfFile: inbox + "/rejected/stuck.cubbypack.txt", encoding: .utf8)
        #expect(stuck.contains("stopped while installing this pack"))
        #expect(try await toy.cubby(["list"]).stdout.contains("* lumi"))
        #expect(await toy.stop().status == 0)
    }

    @Test func badClientsGetClearRefusalsAndDoNotDisturbOthers() async throws {
        let toy = try await Toy.start()
        defer { toy.discard() }
        func exchange(_ bytes: [UInt8]) throws -> [String: Any] {
            let reply = try RawSocket(path: toy.socket).exchange(bytes)
            return try #require(try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any], "\(String(decoding: reply, as: UTF8.self))")
        }
        func code(_ reply: [String: Any]) -> String? { (reply["error"] as? [String: Any])?["code"] as? String }
        func message(_ reply: [String: Any]) -> String { ((reply["error"] as? [String: Any])?["message"] as? String) ?? "" }

        let newer = try exchange(Array(#"{"protocol": 7, "command": "hello"}"#.utf8) + [10])
        #expect(code(newer) == "version" && message(newer).contains("control protocol 1; the client sent protocol 7"))
        #expect(code(try exchange(Array("this is not json\n".utf8))) == "malformed")
        #expect(code(try exchange(Array(#"{"protocol": 1, "command": 5}"#.utf8) + [10])) == "malformed")
        #expect(code(try exchange([UInt8](repeating: UInt8(ascii: "x"), count: 100_000))) == "too_large")
        #expect(code(try exchange(Array(#"{"protocol": 1, "command": "persona.install", "payload_bytes": 999999999}"#.utf8) + [10])) == "too_large")
        #expect(code(try exchange(Array(#"{"protocol": 1, "command": "persona.install", "payload_bytes": 10}"#.utf8) + [10, 1, 2, 3])) == "malformed")
        #expect(code(try exchange(Array(#"{"protocol": 1, "command": "reboot"}"#.utf8) + [10])) == "unknown_command")

        // Clients that connect and say nothing hold no one else up.
        let stalled = try (0..<4).map { _ in try RawSocket(path: toy.socket) }
        let clock = ContinuousClock()
        let started = clock.now
        let hello = try exchange(Array(#"{"protocol": 1, "command": "hello"}"#.utf8) + [10])
        #expect(hello["ok"] as? Bool == true && (hello["daemon_version"] as? String) != nil)
        #expect(clock.now - started < .seconds(5))
        // Several at once are all answered.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<6 { group.addTask { try await toy.cubby(["list"]).status == 0 } }
            for try await ok in group { #expect(ok) }
        }
        stalled.forEach { $0.close() }
        #expect(toy.process.isRunning)
        #expect(await toy.stop().status == 0)
    }
}

/// A blocking Unix-socket client that sends raw bytes and reads the answer.
final class RawSocket {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnixSocketAddress(path) { connect(fd, $0, $1) }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func exchange(_ bytes: [UInt8]) throws -> [UInt8] {
        defer { close() }
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        // Done sending: a request cut short is then seen as ended, not as slow.
        shutdown(fd, Int32(SHUT_WR))
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            reply += buffer.prefix(count)
            if reply.last == 10 { break }
        }
        return reply
    }

    func close() { Glibc.close(fd) }
}

/// The parents' view of what the toy keeps, through the running daemon; and the child's soul moving to a
/// new toy.
@Suite(.serialized) struct FamilyDataTests {
    func seed(_ toy: ControlChannelTests.Toy) throws {
        let queue = try DatabaseQueue(path: toy.sandbox.databasePath)
        defer { try? queue.close() }
        try queue.write { db in
            for (id, text, language) in [(1, "Mia has a dog called Max", "en"), (2, "Mia loves drawing rockets", "en"), (3, "她最喜欢熊猫", "zh")] {
                try db.execute(sql: "INSERT INTO memory (id, text, kind, language, createdAt) VALUES (?, ?, 'pet', ?, CURRENT_TIMESTAMP)", arguments: [id, text, language])
            }
            try db.execute(sql: "INSERT INTO memorySearch (rowid, terms) VALUES (1, 'mia dog max'), (2, 'mia drawing rocket'), (3, '最喜 喜欢 熊猫')")
        }
    }

    func run(_ toy: ControlChannelTests.Toy, _ arguments: [String], stdin: String? = nil) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run("cubby", arguments + ["--config", toy.sandbox.configPath], stdin: stdin)
    }

    @Test func parentsListSearchDeleteExportAndEraseAndEveryActionIsAudited() async throws {
        let toy = try await ControlChannelTests.Toy.start { sandbox in
            try sandbox.write(config: try String(contentsOfFile: sandbox.configPath, encoding: .utf8) + "\n[child]\nname = \"Mia\"\n")
        }
        defer { toy.discard() }
        try seed(toy)
        let list = try await run(toy, ["memories", "list"])
        #expect(list.stdout.contains("Mia has a dog called Max") && list.stdout.contains("她最喜欢熊猫"), "\(list.stdout) \(list.stderr)")
        #expect(try await run(toy, ["memories", "search", "熊猫"]).stdout.contains("她最喜欢熊猫"))
        #expect(!(try await run(toy, ["memories", "search", "熊猫"]).stdout.contains("Max")))
        #expect(try await run(toy, ["memories", "delete", "2"]).stdout.contains("deleted memory 2"))
        #expect(try await run(toy, ["memories", "delete", "99"]).stderr.contains("there is no memory 99"))

        // Enough that the export is far larger than a socket's buffer.
        let queue = try DatabaseQueue(path: toy.sandbox.databasePath)
        try await queue.write { db in
            for i in 0..<4_000 {
                try db.execute(sql: "INSERT INTO memory (text, createdAt) VALUES (?, CURRENT_TIMESTAMP)",
                               arguments: ["Mia told the toy a long story about rockets and the moon, number \(i)"])
            }
        }
        try queue.close()
        let out = toy.sandbox.folder + "/export.json"
        let exportRun = try await run(toy, ["data", "export", "--out", out])
        #expect(exportRun.status == 0, "\(exportRun.stderr)")
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect((exported["memories"] as? [[String: Any]])?.count == 4_002)
        #expect((exported["profile"] as? [String: Any])?["age"] as? Int == 6, "the profile follows [child] in the configuration")
        #expect((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int) == 0o600, "the export is the parent's alone")

        #expect(try await run(toy, ["data", "erase"], stdin: "no\n").status != 0, "nothing is erased without confirmation")
        #expect(try await run(toy, ["memories", "search", "max"]).stdout.contains("Mia has a dog called Max"))
        #expect(try await run(toy, ["data", "erase"], stdin: "erase\n").stdout.contains("erased everything"))
        #expect(try await run(toy, ["memories", "list"]).stdout.contains("remembers nothing"))
        let audit = try toy.sandbox.rows("SELECT action FROM auditEntry ORDER BY id").map { $0["action"] as String }
        #expect(audit == ["data.erase", "settings.set"], "the erase leaves only its own lines: \(audit)")
        // Nothing of the child is left to come back: the name is gone from the configuration too, even after a restart.
        #expect(!(try String(contentsOfFile: toy.sandbox.configPath, encoding: .utf8)).contains("Mia"))
        #expect(await toy.stop().status == 0)
        let again = try await ControlChannelTests.Toy.restart(toy)
        #expect(await again.stop().status == 0)
        let leftovers = try Data(contentsOf: URL(fileURLWithPath: toy.sandbox.databasePath))
        #expect(leftovers.range(of: Data("Mia".utf8)) == nil, "no trace of the child's name in the database file")
    }

    @Test func aSoulExportedOnOneToyRestoresEveryMemoryOnAFreshOne() async throws {
        let old = try await ControlChannelTests.Toy.start()
        defer { old.discard() }
        try seed(old)
        let passphrase = old.sandbox.folder + "/passphrase"
        try "a long family secret".write(toFile: passphrase, atomically: true, encoding: .utf8)
        let soul = old.sandbox.folder + "/mia.cubbysoul"
        let export = try await run(old, ["soul", "export", "--out", soul, "--passphrase-file", passphrase])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(await old.stop().status == 0)

        let fresh = try await ControlChannelTests.Toy.start()
        defer { fresh.discard() }
        let wrong = fresh.sandbox.folder + "/wrong"
        try "not the family secret".write(toFile: wrong, atomically: true, encoding: .utf8)
        let refused = try await run(fresh, ["soul", "import", soul, "--passphrase-file", wrong])
        #expect(refused.status == 65 && refused.stderr.contains("the passphrase is wrong, or the file was changed"))
        #expect(try fresh.sandbox.rows("SELECT count(*) AS n FROM memory").first?["n"] == 0, "a refused soul changes nothing")

        let restored = try await run(fresh, ["soul", "import", soul, "--passphrase-file", passphrase])
        #expect(restored.stdout.contains("restored 3 of 3 memories"), "\(restored.stdout) \(restored.stderr)")
        let texts = Set(try fresh.sandbox.rows("SELECT text FROM memory").map { $0["text"] as String })
        #expect(texts == ["Mia has a dog called Max", "Mia loves drawing rockets", "她最喜欢熊猫"])
        #expect(try await run(fresh, ["memories", "search", "rockets"]).stdout.contains("Mia loves drawing rockets"))
        #expect(await fresh.stop().status == 0)
    }
}

/// Once a parent PIN is set, no change goes through without it; wrong ones make the toy wait, across a
/// restart.
@Suite(.serialized) struct ParentPINProcessTests {
    @Test func changesNeedThePINAndWrongOnesWaitAcrossARestart() async throws {
        var toy = try await ControlChannelTests.Toy.start()
        defer { toy.discard() }
        let folder = toy.sandbox.folder
        for (name, pin) in [("good", "2468"), ("bad", "1357")] { try pin.write(toFile: folder + "/\(name).pin", atomically: true, encoding: .utf8) }
        func cubby(_ arguments: [String]) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run("cubby", arguments + ["--config", toy.sandbox.configPath])
        }
        #expect(try await cubby(["pin", "set", "--new-pin-file", folder + "/good.pin"]).stdout.contains("the parent PIN is set"))
        let pack = try await toy.pack("tuantuan")
        let without = try await cubby(["persona", "install", pack])
        #expect(without.status == 77 && without.stderr.contains("persona.install: this needs the parent PIN"), "\(without.stderr)")
        #expect(try await cubby(["persona", "list"]).status == 0, "reading needs no PIN")
        #expect(try await cubby(["pin", "set", "--new-pin-file", folder + "/bad.pin"]).status == 77, "changing the PIN needs the PIN")

        for _ in 0..<3 { #expect(try await cubby(["persona", "install", pack, "--pin-file", folder + "/bad.pin"]).stderr.contains("the PIN is wrong")) }
        let waiting = try await cubby(["persona", "install", pack, "--pin-file", folder + "/good.pin"])
        #expect(waiting.status == 77 && waiting.stderr.contains("too many wrong PINs: try again in"), "\(waiting.stderr)")
        #expect(await toy.stop().status == 0)

        // A restart does not reset the count.
        toy = try await ControlChannelTests.Toy.restart(toy)
        #expect(try await cubby(["persona", "install", pack, "--pin-file", folder + "/good.pin"]).stderr.contains("try again in"))
        try await Task.sleep(for: .seconds(11))
        let installed = try await cubby(["persona", "install", pack, "--pin-file", folder + "/good.pin"])
        #expect(installed.status == 0 && installed.stdout.contains("installed 团团"), "\(installed.stderr)")
        #expect(await toy.stop().status == 0)
    }
}
