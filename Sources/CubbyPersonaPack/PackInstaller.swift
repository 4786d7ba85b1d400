import CubbyCore
import CubbyPersona
import CubbySafety

/// The one way a pack file gets onto a toy, whoever brings it (the control channel, the inbox folder, a
/// factory `flash`): verify it in memory, refuse it if a file is malformed or a line would not pass the
/// toy's own filter, then install it atomically. Any refusal leaves the store exactly as it was.
public struct PackInstaller: Sendable {
    public var store: PersonaStore
    public var policy: PackVerifier.Policy
    public var filter: OnDeviceFilter

    public init(store: PersonaStore, policy: PackVerifier.Policy, filter: OnDeviceFilter) {
        self.store = store
        self.policy = policy
        self.filter = filter
    }

    public func install(file: String, allowDowngrade: Bool = false, activate: Bool = true,
                        onStep: (PersonaStore.Step) -> Void = { _ in }) throws(CubbyError) -> (PersonaStore.Outcome, VerifiedPack) {
        try install(PackVerifier.verify(file: file, policy: policy), allowDowngrade: allowDowngrade, activate: activate, onStep: onStep)
    }

    public func install(bytes: [UInt8], name: String, allowDowngrade: Bool = false, activate: Bool = true) throws(CubbyError) -> (PersonaStore.Outcome, VerifiedPack) {
        try install(PackVerifier.verify(bytes: bytes, location: name, policy: policy), allowDowngrade: allowDowngrade, activate: activate)
    }

    private func install(_ pack: VerifiedPack, allowDowngrade: Bool, activate: Bool,
                         onStep: (PersonaStore.Step) -> Void = { _ in }) throws(CubbyError) -> (PersonaStore.Outcome, VerifiedPack) {
        let errors = PackValidator.findings(for: pack.persona, files: pack.files, filter: filter, dictionary: nil).filter { $0.severity == .error }
        if let first = errors.first {
            throw CubbyError(.persona, "\(first.file): \(first.field): \(first.message)" + (errors.count > 1 ? " (and \(errors.count - 1) more)" : ""),
                             context: pack.files.location)
        }
        return (try store.install(pack, allowDowngrade: allowDowngrade, activate: activate, onStep: onStep), pack)
    }
}
