import CubbyCore
import CubbyPersona

/// Which persona the toy is: the active installed pack when there is a usable one, otherwise the factory
/// persona folder named in the configuration.
public enum ActivePersona {
    public struct Loaded: Sendable {
        public enum Origin: Sendable, Equatable, CustomStringConvertible {
            case installed(id: String, version: String)
            case factory(folder: String)

            public var description: String {
                switch self {
                case .installed(let id, let version): "installed pack \(id) \(version)"
                case .factory(let folder): "factory persona \(folder)"
                }
            }
        }

        public var persona: Persona
        public var origin: Origin
        /// Installed versions that were skipped because they were damaged, for the log.
        public var problems: [CubbyError]
    }

    public static func load(dataDirectory: String, factoryFolder: String) throws(CubbyError) -> Loaded {
        var problems: [CubbyError] = []
        if let persona = PersonaStore(dataDirectory: dataDirectory).activePersona(problems: &problems) {
            return Loaded(persona: persona, origin: .installed(id: persona.id, version: persona.version.description), problems: problems)
        }
        return Loaded(persona: try PersonaPackLoader.load(directory: factoryFolder), origin: .factory(folder: factoryFolder), problems: problems)
    }
}
