import ArgumentParser
import CubbyCore
import CubbyPersona
import Foundation

/// The manufacturers' tool for persona packs.
@main
struct CubbyPack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cubby-pack",
        abstract: "Build, sign and verify Cubby persona packs.",
        version: "cubby-pack \(CubbyVersion.string)",
        subcommands: [Validate.self, Build.self, Sign.self, Verify.self])
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a persona pack folder exactly as the toy will load it.",
        discussion: "Exit 0 when the pack loads; 65 with the file, key and problem when it does not.")

    @Argument(help: ArgumentHelp("The pack folder (holding persona.toml).", valueName: "folder"))
    var folder: String

    func run() throws {
        do {
            let persona = try PersonaPackLoader.load(directory: folder)
            print("\(folder): ok — \(persona.name) (\(persona.id)), wake \(persona.wake.phrases), \(persona.offlineLines.count) offline lines")
        } catch {
            FileHandle.standardError.write(Data("cubby-pack: \(error)\n".utf8))
            throw ExitCode(65)
        }
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build a pack archive from a folder. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby-pack build", comesWith: "persona packs") }
}

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign a pack with the maker's key. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby-pack sign", comesWith: "persona packs") }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Verify a pack's signature. (not yet available)")
    func run() throws { PlannedFeature.refuse("cubby-pack verify", comesWith: "persona packs") }
}
