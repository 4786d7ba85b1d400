import ArgumentParser
import CubbyPersonaPack

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a maker's Ed25519 key pair.",
        discussion: """
            Writes NAME.key (the private key, owner-only: keep it off the toys and out of version control) and \
            NAME.pub (give it to the toys: their trusted-keys folder). Never overwrites a key.
            """)

    @Option(help: ArgumentHelp("The folder for the key files.", valueName: "folder"))
    var out: String

    @Option(help: ArgumentHelp("The key's name (file name and label), a-z 0-9 -.", valueName: "name"))
    var name: String = "maker"

    func validate() throws {
        guard (1...40).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw ValidationError("--name must be 1-40 characters of a-z, 0-9 and -")
        }
    }

    func run() throws {
        let key = MakerKey.generate(name: name)
        do {
            let written = try key.write(to: out)
            print("private key: \(written.privatePath)  (keep secret)")
            print("public key:  \(written.publicPath)  (key id \(key.publicKey.id))")
        } catch { throw fail(error) }
    }
}
