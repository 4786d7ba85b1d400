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
        try PackValidator.requireInstallable(pack, filter: filter)
        return (try store.install(pack, allowDowngrade: allowDowngrade, activate: activate, onStep: onStep), pack)
    }
}
