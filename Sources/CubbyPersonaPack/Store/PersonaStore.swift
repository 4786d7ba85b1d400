#if canImport(Glibc)
import Glibc
#endif
import CubbyCore
import CubbyPersona
import Foundation

/// The persona packs installed on a toy, in `<data_dir>/personas`:
///
/// ```
/// personas/state.json          which persona is active; each one's current and previous version
/// personas/packs/<id>/<ver>/   an installed pack: its MANIFEST.json, SIGNATURE and files, never changed
/// personas/.staging-*/         a pack being written; removed if found later (a crash left it)
/// personas/.lock               held while the store changes
/// ```
///
/// Installing writes the verified pack into a staging folder, syncs it, renames it to its version folder,
/// and only then replaces `state.json`. A crash or power cut at any moment therefore leaves either the
/// old state (and maybe an unreferenced folder, cleaned up next time) or the new one, with every folder
/// it names complete. Nothing is removed until the state no longer names it.
public struct PersonaStore: Sendable {
    /// The steps of an install, in order, for progress and for tests that kill the process at each one.
    public enum Step: String, Sendable, CaseIterable {
        case recovered, staged, synced, moved, switched, cleaned
    }

    public struct Entry: Sendable, Equatable {
        public var id: String
        public var current: String
        public var previous: String?
        public var active: Bool
        public var name: String?
        public var locales: [String]
    }

    public enum Outcome: Sendable, Equatable {
        case installed(id: String, version: String, replaced: String?)
        case alreadyInstalled(id: String, version: String)
    }

    public let root: String
    var statePath: String { root + "/state.json" }
    var packsPath: String { root + "/packs" }

    public init(dataDirectory: String) { root = dataDirectory + "/personas" }

    public func folder(id: String, version: String) -> String { "\(packsPath)/\(id)/\(version)" }

    public func state() throws(CubbyError) -> StoreState { try StoreState.read(at: statePath) }

    /// What is installed, active first.
    public func list() throws(CubbyError) -> [Entry] {
        let state = try state()
        return state.personas.keys.sorted().map { id in
            let entry = state.personas[id]!
            let persona = try? PersonaPackLoader.load(directory: folder(id: id, version: entry.current))
            return Entry(id: id, current: entry.current, previous: entry.previous, active: state.active == id,
                         name: persona?.name, locales: persona?.locales.map(\.code) ?? [])
        }.sorted { $0.active && !$1.active }
    }

    // MARK: Changing the store

    /// Installs a verified pack and (by default) makes it the active persona.
    public func install(_ pack: VerifiedPack, allowDowngrade: Bool = false, activate: Bool = true,
                        onStep: (Step) -> Void = { _ in }) throws(CubbyError) -> Outcome {
        try locked { () throws(CubbyError) -> Outcome in
            try recover()
            onStep(.recovered)
            var state = try state()
            let id = pack.manifest.id, version = pack.manifest.version.description
            let target = folder(id: id, version: version)
            if let installed = state.personas[id] {
                if let current = SemanticVersion(installed.current), pack.manifest.version < current, !allowDowngrade {
                    throw CubbyError(.persona, "is version \(version) of \(id), older than the installed \(installed.current); installing it needs --allow-downgrade", context: pack.files.location)
                }
                if installed.current == version || installed.previous == version {
                    let existing = (try? FileBytes.read(at: target + "/" + PackManifest.entryName)).map(PackManifest.digest)
                    guard existing == pack.digest else {
                        throw CubbyError(.persona, "is \(id) \(version), but a different \(id) \(version) is installed; a maker must give changed content a new version", context: pack.files.location)
                    }
                    var changed = state
                    if installed.previous == version {
                        changed.personas[id] = .init(current: version, previous: installed.current)
                    }
                    if activate { changed.active = id }
                    if changed != state { try write(changed); onStep(.switched) }
                    return .alreadyInstalled(id: id, version: version)
                }
            }

            let staging = root + "/.staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try makeFolder(staging)
            try write(pack, into: staging)
            onStep(.staged)
            try FileBytes.syncFolder(staging)
            onStep(.synced)
            try makeFolder(packsPath)
            try makeFolder(packsPath + "/" + id)
            try SystemCall.check("cannot move the staged pack into place", context: target) { rename(staging, target) }
            // Every folder on the way down is synced before the state may name the new version.
            for folder in [packsPath + "/" + id, packsPath, root] { try FileBytes.syncFolder(folder) }
            onStep(.moved)

            let replaced = state.personas[id]?.current
            state.personas[id] = .init(current: version, previous: replaced)
            if activate || state.active == nil { state.active = id }
            try write(state)
            onStep(.switched)
            try recover()
            onStep(.cleaned)
            return .installed(id: id, version: version, replaced: replaced)
        }
    }

    /// Makes an installed persona the active one.
    public func activate(id: String) throws(CubbyError) {
        try locked { () throws(CubbyError) in
            var state = try state()
            guard state.personas[id] != nil else { throw notInstalled(id, state) }
            state.active = id
            try write(state)
        }
    }

    /// Removes every installed version of a persona that is not the active one.
    public func remove(id: String) throws(CubbyError) {
        try locked { () throws(CubbyError) in
            var state = try state()
            guard state.personas[id] != nil else { throw notInstalled(id, state) }
            guard state.active != id else {
                throw CubbyError(.persona, "\(id) is the active persona; switch to another one before removing it")
            }
            state.personas[id] = nil
            try write(state)
            try recover()
        }
    }

    /// Goes back to the version of the active persona that was in use before the last install; doing it
    /// again goes forward again.
    public func rollback() throws(CubbyError) -> (id: String, from: String, to: String) {
        try locked { () throws(CubbyError) -> (id: String, from: String, to: String) in
            var state = try state()
            guard let id = state.active, let entry = state.personas[id] else { throw CubbyError(.persona, "no persona is installed, so there is nothing to roll back") }
            guard let previous = entry.previous else { throw CubbyError(.persona, "\(id) \(entry.current) is the only version installed; there is nothing to roll back to") }
            state.personas[id] = .init(current: previous, previous: entry.current)
            try write(state)
            return (id, entry.current, previous)
        }
    }

    // MARK: Loading

    /// The active persona, loaded from its installed folder after checking every file against its
    /// manifest. A damaged version (a failing flash card) falls back to the previous one; nil when nothing
    /// usable is installed. `problems` collects what was skipped and why, for the log.
    public func activePersona(problems: inout [CubbyError]) -> Persona? {
        let state: StoreState
        do { state = try self.state() } catch { problems.append(error); return nil }
        guard let id = state.active, let entry = state.personas[id] else { return nil }
        for version in [entry.current, entry.previous].compactMap({ $0 }) {
            do { return try loadInstalled(id: id, version: version) } catch { problems.append(error) }
        }
        return nil
    }

    /// Loads one installed version, refusing it unless every file matches the manifest it was installed with.
    public func loadInstalled(id: String, version: String) throws(CubbyError) -> Persona {
        let folder = folder(id: id, version: version)
        let manifest = try PackManifest.decode(try FileBytes.read(at: folder + "/" + PackManifest.entryName), context: folder)
        for file in manifest.files {
            let bytes = try FileBytes.read(at: folder + "/" + file.path)
            guard bytes.count == file.size, PackManifest.digest(bytes) == file.sha256 else {
                throw CubbyError(.persona, "installed file \(file.path) no longer matches its digest: the pack is damaged", context: folder)
            }
        }
        return try PersonaPackLoader.load(directory: folder)
    }

    // MARK: Internals

    /// Removes staging folders a crash left behind and version folders the state no longer names.
    func recover() throws(CubbyError) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: root) else { return }
        for name in (try? fm.contentsOfDirectory(atPath: root)) ?? []
        where name.hasPrefix(".staging-") || name.hasPrefix(".trash-") || name.hasPrefix("state.json.tmp-") {
            try? fm.removeItem(atPath: root + "/" + name)
        }
        let referenced = try state().referenced
        for id in (try? fm.contentsOfDirectory(atPath: packsPath)) ?? [] {
            let versions = (try? fm.contentsOfDirectory(atPath: packsPath + "/" + id)) ?? []
            for version in versions where !referenced.contains("\(id)/\(version)") {
                let trash = root + "/.trash-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                if rename(packsPath + "/\(id)/\(version)", trash) == 0 { try? fm.removeItem(atPath: trash) }
            }
            if versions.allSatisfy({ !referenced.contains("\(id)/\($0)") }) { try? fm.removeItem(atPath: packsPath + "/" + id) }
        }
    }

    private func write(_ pack: VerifiedPack, into staging: String) throws(CubbyError) {
        try FileBytes.writeNew(pack.manifestBytes, to: staging + "/" + PackManifest.entryName, mode: 0o600)
        if let signature = pack.signatureBytes { try FileBytes.writeNew(signature, to: staging + "/" + PackManifest.signatureName, mode: 0o600) }
        for path in pack.files.files.keys.sorted() {
            let components = path.split(separator: "/")
            var folder = staging
            for component in components.dropLast() {
                folder += "/" + component
                try makeFolder(folder)
            }
            try FileBytes.writeNew(pack.files.files[path]!, to: staging + "/" + path, mode: 0o600)
        }
        // Sync every folder written (each ancestor too), deepest first, so their entries are on disk before the rename.
        var folders = Set<String>()
        for path in pack.files.files.keys {
            var parent = (path as NSString).deletingLastPathComponent
            while !parent.isEmpty {
                folders.insert(parent)
                parent = (parent as NSString).deletingLastPathComponent
            }
        }
        for folder in folders.sorted(by: { $0.count > $1.count }) { try FileBytes.syncFolder(staging + "/" + folder) }
        adoptOwner(staging, recursive: true)
    }

    private func write(_ state: StoreState) throws(CubbyError) {
        try state.write(to: statePath)
        adoptOwner(statePath)
    }

    /// A factory `flash` run as root writes files the daemon's own user must read and change: everything
    /// it creates is given to the owner of the data folder.
    private func adoptOwner(_ path: String, recursive: Bool = false) {
        guard geteuid() == 0 else { return }
        var info = stat()
        guard stat((root as NSString).deletingLastPathComponent, &info) == 0, info.st_uid != 0 else { return }
        _ = lchown(path, info.st_uid, info.st_gid)
        guard recursive, let walker = FileManager.default.enumerator(atPath: path) else { return }
        while let relative = walker.nextObject() as? String { _ = lchown(path + "/" + relative, info.st_uid, info.st_gid) }
    }

    private func makeFolder(_ path: String) throws(CubbyError) {
        if mkdir(path, 0o700) == 0 {
            adoptOwner(path)
        } else if errno != EEXIST {
            throw CubbyError(.io, "cannot create the folder", context: path, underlying: SystemCall.lastError)
        }
    }

    private func notInstalled(_ id: String, _ state: StoreState) -> CubbyError {
        let known = state.personas.keys.sorted()
        return CubbyError(.persona, "no persona \"\(id.prefix(64))\" is installed" + (known.isEmpty ? "" : " (installed: \(known.joined(separator: ", ")))"))
    }

    /// How long a change waits for another (a factory `flash`, a stopped one) to let go of the store.
    static let lockPatience: Duration = .seconds(30)

    /// Runs `body` holding the store's lock, so the daemon, its inbox and a factory `flash` never change
    /// the store at the same time. Never waits forever: a holder that does not let go is reported.
    private func locked<T>(_ body: () throws(CubbyError) -> T) throws(CubbyError) -> T {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CubbyError(.io, "cannot create the persona store", context: root, underlying: error)
        }
        adoptOwner(root)
        let fd = try SystemCall.check("cannot open the store's lock", context: root + "/.lock") { open(root + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        defer { close(fd) }
        adoptOwner(root + "/.lock")
        let deadline = ContinuousClock.now + Self.lockPatience
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = SystemCall.lastError
            guard code == .wouldBlock || code == .interrupted else { throw CubbyError(.io, "cannot lock the persona store", context: root + "/.lock", underlying: code) }
            guard ContinuousClock.now < deadline else {
                throw CubbyError(.io, "the persona store is busy: another install has held it for \(Self.lockPatience); try again when it is done", context: root)
            }
            usleep(100_000)
        }
        return try body()
    }
}
