/// Cubby's release version, shown by every executable's `--version` and sent as the User-Agent.
public enum CubbyVersion {
    public static let string = "0.1.0"
}
