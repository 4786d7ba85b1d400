import ArgumentParser
import CubbyCore
import CubbyPersona
import CubbyPersonaPack
import CubbySafety
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a pack folder as the toy will load it, and every line against the toy's safety filter.",
        discussion: """
            Checks the schema, that every file named is present and of the right format (WAV sample rates and \
            lengths), that every line passes the toy's outbound safety check in its language, and that every \
            wake phrase word is known to the wake engine. Each problem is reported with file and field. \
            Exit 0 when there are no errors (warnings are printed), 65 otherwise.
            """)

    @Argument(help: ArgumentHelp("The pack's source folder (holding persona.toml).", valueName: "folder"))
    var folder: String

    func run() throws {
        do {
            let (persona, findings) = try PackChecks.validate(folder: folder)
            PackChecks.report(findings, folder: folder)
            let errors = findings.filter { $0.severity == .error }.count
            guard errors == 0 else {
                say("cubby-pack: \(folder): \(errors) error\(errors == 1 ? "" : "s"); the pack cannot be built")
                throw ExitCode(65)
            }
            print("\(folder): ok — \(persona.name) (\(persona.id) \(persona.version)), locales \(persona.locales.map(\.code).joined(separator: ", ")), "
                + "wake \(persona.wake.phrases.map { "\"\($0)\"" }.joined(separator: ", ")) (\(Self.engine(of: persona))), "
                + "\(persona.allLines.count) lines checked")
        } catch let exit as ExitCode { throw exit } catch { throw fail(error) }
    }

    /// Which engine will listen for the phrase, and with what.
    static func engine(of persona: Persona) -> String {
        switch persona.wakeEngine {
        case .microwakeword: "the neural engine, microWakeWord model \(persona.wakeModelPath ?? "?"), loaded and run once"
        case .pocketsphinx: "PocketSphinx keyphrase spotting" + (persona.wakeModelPath.map { "; the pack's model \($0) is not used (engine = \"microwakeword\" would use it)" } ?? ": no wake model in the pack")
        }
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a pack folder and build it into one signed .cubbypack file.",
        discussion: "Refuses a folder that does not validate. Without --key, --unsigned builds a pack only a toy in developer mode installs.")

    @Argument(help: ArgumentHelp("The pack's source folder.", valueName: "folder"))
    var folder: String

    @Option(help: ArgumentHelp("The maker's private key (from keygen).", valueName: "key"))
    var key: String?

    @Flag(help: "Build without a signature (for developer-mode toys only).")
    var unsigned = false

    @Option(help: ArgumentHelp("The pack file to write.", valueName: "file"))
    var out: String

    func validate() throws {
        guard (key == nil) == unsigned else { throw ValidationError("give --key KEY, or --unsigned for a developer pack") }
    }

    func run() throws {
        do {
            let makerKey = try key.map { path throws(CubbyError) in try MakerKey.load(privateKeyAt: path) }
            let (_, findings) = try PackChecks.validate(folder: folder)
            PackChecks.report(findings, folder: folder)
            guard !findings.contains(where: { $0.severity == .error }) else {
                say("cubby-pack: \(folder): the pack has errors; nothing was written")
                throw ExitCode(65)
            }
            let result = try PackBuilder.build(folder: folder, key: makerKey)
            try FileBytes.writeAtomically(result.bytes, to: out)
            for path in result.skipped { say("skipped hidden file \(path)") }
            print("\(out): \(result.persona.id) \(result.persona.version), \(result.manifest.files.count) files, \(result.bytes.count) bytes, "
                + (makerKey.map { "signed by \($0.name) (\($0.publicKey.id))" } ?? "UNSIGNED"))
        } catch let exit as ExitCode { throw exit } catch { throw fail(error) }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a pack as a toy would before installing it: archive, manifest, signature, every digest, the persona.")

    @Argument(help: ArgumentHelp("The .cubbypack file.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("A maker's public key, or a folder of them (*.pub).", valueName: "key-or-folder"))
    var trusted: String

    func run() throws {
        do {
            let pack = try PackVerifier.verify(file: file, policy: .init(trusted: try TrustedKeys.load(from: trusted)))
            try PackValidator.requireInstallable(pack, filter: try OnDeviceFilter.builtIn())
            print("\(file): verified — \(pack.persona.id) \(pack.persona.version), signed by \(pack.signer?.name ?? "?") (\(pack.signer?.id ?? "?")), \(pack.manifest.files.count) files")
        } catch { throw fail(error) }
    }
}

struct Flash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install a pack into a device image's data folder, as a factory line would.",
        discussion: """
            Verifies the pack exactly as the toy does, then installs it atomically into DIR/personas and makes it the \
            active persona. A toy that is running installs packs itself: use `cubby persona install` there.
            """)

    @Argument(help: ArgumentHelp("The .cubbypack file.", valueName: "file"))
    var file: String

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("The image's data folder ([device] data_dir).", valueName: "folder"))
    var dataDirectory: String

    @Option(help: ArgumentHelp("A maker's public key, or a folder of them; without it the pack must be unsigned and --developer given.", valueName: "key-or-folder"))
    var trusted: String?

    @Flag(help: "Accept an unsigned pack (developer images only).")
    var developer = false

    @Flag(help: "Install even if it is older than the installed version.")
    var allowDowngrade = false

    /// Kills the process at an install step: the crash-safety test's fault injection.
    @Option(help: .hidden)
    var killAt: String?

    func run() throws {
        do {
            let keys = try trusted.map { path throws(CubbyError) in try TrustedKeys.load(from: path) } ?? TrustedKeys([])
            let installer = PackInstaller(store: PersonaStore(dataDirectory: dataDirectory),
                                          policy: .init(trusted: keys, allowUnsigned: developer), filter: try OnDeviceFilter.builtIn())
            let (outcome, _) = try installer.install(file: file, allowDowngrade: allowDowngrade) { step in
                if step.rawValue == killAt { kill(getpid(), SIGKILL) }
            }
            switch outcome {
            case .installed(let id, let version, let replaced):
                print("\(dataDirectory): installed \(id) \(version)" + (replaced.map { " (replacing \($0), kept for rollback)" } ?? "") + "; active")
            case .alreadyInstalled(let id, let version):
                print("\(dataDirectory): \(id) \(version) is already installed; active")
            }
        } catch { throw fail(error) }
    }
}
