/// The control protocol's version; see docs/control-protocol.md.
public enum ControlProtocol {
    public static let version = 1
}
