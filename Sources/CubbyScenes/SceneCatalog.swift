import CubbyPersona

/// The scenes a toy can be in: Cubby's built-in ones and the persona's own, with each scene's lines
/// resolved for a language (the pack's scene lines, then the persona's matching lines, then Cubby's).
public struct SceneCatalog: Sendable, Equatable {
    public let scenes: [String: PersonaScene]
    let persona: Persona

    public init(persona: Persona) {
        self.persona = persona
        var scenes = Dictionary(uniqueKeysWithValues: BuiltInScenes.all.map { ($0.id, $0) })
        for (id, scene) in persona.scenes { scenes[id] = scene }
        self.scenes = scenes
    }

    public var ids: [String] { BuiltInScenes.all.map(\.id) + persona.scenes.keys.sorted() }

    public subscript(id: String) -> PersonaScene? { scenes[id] }

    /// The lines of `scene` in `locale`.
    public func lines(_ scene: String, locale: PersonaLocale) -> SceneLines {
        let pack = locale.sceneLines[scene] ?? SceneLines()
        let builtIn = BuiltInScenes.lines(scene: scene, locale: locale.code)
        let persona: [String] = switch scene {
        case "story": locale.lines.storyOpeners
        case "bedtime": locale.lines.bedtime
        case "morning": locale.lines.morning
        default: []
        }
        return SceneLines(opening: first(pack.opening, persona, builtIn.opening), closing: first(pack.closing, builtIn.closing),
                          offline: first(pack.offline, builtIn.offline))
    }

    private func first(_ candidates: [String]...) -> [String] { candidates.first { !$0.isEmpty } ?? [] }

    /// The scene a child asks for in `text` ("tell me a story", "讲个故事"), if any: the longest request phrase
    /// found wins, so "tell me a bedtime story" is a story, not bedtime. Any story asked for ("can you tell
    /// me a scary story about a whale?") is the story scene.
    public func requested(in text: String) -> String? {
        let plain = Self.plain(text)
        let han = text.filter { !$0.isWhitespace && !$0.isPunctuation }
        var best: (id: String, length: Int)?
        for (id, scene) in scenes.sorted(by: { $0.key < $1.key }) {
            for request in scene.requests {
                let phrase = Self.plain(request)
                let latin = request.allSatisfy { $0.isASCII }
                let found = latin ? plain.contains(phrase) : han.contains(request.filter { !$0.isWhitespace && !$0.isPunctuation })
                guard found, phrase.count > (best?.length ?? 0) else { continue }
                best = (id, phrase.count)
            }
        }
        if let best { return best.id }
        let words = Set(plain.split(separator: " ").map(String.init))
        if !words.isDisjoint(with: ["story", "stories"]) && !words.isDisjoint(with: ["tell", "read", "make", "hear", "want", "another", "start"]) {
            return "story"
        }
        if han.contains("故事") && ["讲", "说", "听", "编", "来"].contains(where: { han.contains($0) }) { return "story" }
        return nil
    }

    /// Lower case, punctuation gone, spaces single, padded so that phrases match whole words.
    static func plain(_ text: String) -> String {
        let cleaned = text.lowercased().replacingOccurrences(of: "’", with: "'").map { $0.isLetter || $0.isNumber || $0 == "'" ? $0 : " " }
        let words = String(cleaned).split(separator: " ")
        // Chinese is matched without spaces; latin words with a space on each side.
        return " " + words.joined(separator: " ") + " "
    }
}
