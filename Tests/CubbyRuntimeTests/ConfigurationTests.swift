import CubbyConfiguration
import CubbyCore
import CubbyRuntime
import Foundation
import CubbyTestSupport
import Testing

@Suite struct ConfigurationTests {
    static func decode(_ text: String, environment: [String: String] = [:]) throws(CubbyError) -> DaemonConfiguration {
        try ConfigurationLoader.decode(try TOMLSection.parse(text, file: "/etc/cubby/cubbyd.toml"), folder: "/etc/cubby", environment: environment)
    }

    @Test func anEmptyFileGivesTheDocumentedDefaults() throws {
        let configuration = try Self.decode("")
        #expect(configuration.childAge == 6)
        #expect(configuration.endpointer.endSilenceMilliseconds == 600)
        #expect(configuration.endpointer.maximumUtteranceMilliseconds == 15_000)
        #expect(configuration.cloud == nil)
        #expect(configuration.dataDirectory == "/var/lib/cubby")
        #expect(configuration.followUp)
    }

    @Test func relativePathsResolveAgainstTheFilesFolder() throws {
        let configuration = try Self.decode("[device]\nboard = \"boards/sim\"\ndata_dir = \"../data\"\n")
        #expect(configuration.boardFolder == "/etc/cubby/boards/sim")
        #expect(configuration.dataDirectory == "/etc/data")
    }

    @Test func theEnvironmentOverridesTheCloudURLAndKey() throws {
        let configuration = try Self.decode(
            "[cloud]\nbase_url = \"https://api.example.com\"\napi_key = \"from-file\"\n",
            environment: ["CUBBY_CLOUD_URL": "http://127.0.0.1:9000", "CUBBY_CLOUD_KEY": "from-env"])
        #expect(configuration.cloud?.baseURL == "http://127.0.0.1:9000")
        #expect(configuration.cloud?.apiKey == "from-env")
        #expect(configuration.cloud.map { "\($0)" }?.contains("from-env") == false)
    }

    @Test func theKeyComesFromAFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "sk-secret\n".write(toFile: folder + "/key", atomically: true, encoding: .utf8)
        let root = try TOMLSection.parse("[cloud]\nbase_url = \"https://api.example.com\"\napi_key_file = \"key\"\n", file: folder + "/cubbyd.toml")
        let configuration = try ConfigurationLoader.decode(root, folder: folder, environment: [:])
        #expect(configuration.cloud?.apiKey == "sk-secret")
    }

    @Test(arguments: [
        ("[cloud]\nbase_url = \"https://a.example\"\napi_key = \"x\"\napi_key_file = \"k\"\n", "[cloud] api_key_file: set either api_key or api_key_file"),
        ("[cloud]\nbase_url = \"http://api.example.com\"\n", "[cloud] base_url"),
        ("[log]\nlevel = \"loud\"\n", "[log] level"),
        ("[conversation]\nfollow_up = \"yes\"\n", "[conversation] follow_up"),
        ("[wake]\nsensitivity = 2.0\n", "[wake] sensitivity"),
        ("child = 3\n", "child"),
        ("[device]\nboard = 7\n", "[device] board"),
        ("[safety]\ncool_down_minutes = 0\n", "[safety] cool_down_minutes"),
        ("[safety]\nblocked_topics = \"dinosaurs\"\n", "[safety] blocked_topics"),
        ("[safety.guard]\nbase_url = \"https://guard.example\"\nkind = \"chat\"\n", "[safety.guard] model"),
        ("[safety.guard]\nbase_url = \"https://guard.example\"\non_failure = \"shrug\"\n", "[safety.guard] on_failure"),
        ("[safety.guard]\nbase_url = \"http://guard.example\"\n", "[safety.guard] base_url"),
        ("[cloud]\nprovider = \"xiaozhi\"\n", "[xiaozhi] url"),
        ("[cloud]\nprovider = \"xiaozhi\"\n[xiaozhi]\nurl = \"ws://xz.example/xiaozhi/v1/\"\ndevice_id = \"d\"\nclient_id = \"c\"\n", "[xiaozhi] url"),
        ("[cloud]\nprovider = \"xiaozhi\"\n[xiaozhi]\nurl = \"wss://xz.example/xiaozhi/v1/\"\nclient_id = \"c\"\n", "[xiaozhi] device_id"),
        ("[xiaozhi]\nprotocol_version = 4\n", "[xiaozhi] protocol_version"),
        ("[device]\nmax_volume = 101\n", "[device] max_volume"),
    ])
    func invalidValuesNameTheKey(text: String, key: String) {
        #expect {
            _ = try Self.decode(text)
        } throws: { error in
            guard let error = error as? CubbyError else { return false }
            return error.code == .invalidConfiguration && error.context == "/etc/cubby/cubbyd.toml" && "\(error)".contains(key)
        }
    }

    @Test func theReferenceDocumentsExactlyTheKeysTheDaemonReads() throws {
        let root = try TOMLSection.parse("", file: "empty.toml")
        _ = try ConfigurationLoader.decode(root, folder: "/", environment: [:])
        let read = root.requestedKeys

        let reference = try String(contentsOfFile: Sandbox.packageRoot + "/docs/configuration.md", encoding: .utf8)
        var documented: Set<String> = []
        var table: String?
        for line in reference.split(separator: "\n") {
            if line.hasPrefix("## [") { table = String(line.dropFirst(4).prefix { $0 != "]" }) }
            else if line.hasPrefix("## ") { table = nil }
            else if let table, line.hasPrefix("| `"), let key = line.dropFirst(3).split(separator: "`").first {
                documented.insert("\(table).\(key)")
            }
        }
        #expect(read.subtracting(documented).isEmpty, "read but not documented: \(read.subtracting(documented).sorted())")
        #expect(documented.subtracting(read).isEmpty, "documented but not read: \(documented.subtracting(read).sorted())")
        #expect(read.count > 20)
    }

    @Test func theShippedSimulatedBoardConfigurationLoads() throws {
        let configuration = try ConfigurationLoader.load(path: Sandbox.packageRoot + "/Hardware/sim/cubbyd.toml", environment: [:])
        #expect(configuration.personaFolder == Sandbox.packageRoot + "/Personas/teddy")
        #expect(configuration.cloud == nil)
    }
}

@Suite struct ControlSocketPathTests {
    @Test func theDefaultSocketSitsInTheDataFolderOnceResolved() throws {
        let relative = try ConfigurationLoader.decode(try TOMLSection.parse("[device]\ndata_dir = \"data\"\n", file: "c.toml"), folder: "demo/toy", environment: [:])
        #expect(relative.controlSocket == "demo/toy/data/control.sock")
        let chosen = try ConfigurationLoader.decode(try TOMLSection.parse("[control]\nsocket = \"run/c.sock\"\n", file: "c.toml"), folder: "/etc/cubby", environment: [:])
        #expect(chosen.controlSocket == "/etc/cubby/run/c.sock")
    }
}
