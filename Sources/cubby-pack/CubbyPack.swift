import ArgumentParser
import CubbyCore
import Foundation

/// The manufacturers' tool for persona packs: make a key, check a pack folder, build and sign it, verify
/// and inspect a built pack, hear its lines, and flash it into a device image.
///
/// Exit codes: 0 success; 65 the pack (or key) is invalid or refused, with the file, the field and the
/// problem on standard error; 66 an input that cannot be read; 1 anything else.
@main
struct CubbyPack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cubby-pack",
        abstract: "Build, sign, verify and flash Cubby persona packs.",
        discussion: "The pack format is described in docs/persona-format.md and the README.",
        version: "cubby-pack \(CubbyVersion.string)",
        subcommands: [Keygen.self, Validate.self, Build.self, Verify.self, Inspect.self, Preview.self, Flash.self])
}

/// Reports an error the way every subcommand does and exits with the code that says what kind it was.
func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("cubby-pack: \(error)\n".utf8))
    if let error = error as? CubbyError, error.code == .io { return ExitCode(66) }
    return ExitCode(65)
}

func say(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
