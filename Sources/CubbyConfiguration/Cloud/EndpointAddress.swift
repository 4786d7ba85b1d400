import Foundation

/// How every cloud address the toy is given is checked and joined: absolute, encrypted unless on this
/// machine or explicitly allowed, `/v1` paths joined however the base was written.
public enum EndpointAddress {
    /// Checks an address: absolute, with `secure` or `plain` as its scheme, and `plain` only to a
    /// loopback host unless `allowInsecure` (named `setting` in the configuration). Returns what is wrong,
    /// or nil.
    public static func problem(with text: String, secure: String, plain: String, allowInsecure: Bool, example: String,
                               setting: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "\"\(text)\" is not an absolute URL like \(example)"
        }
        guard scheme == secure || scheme == plain else { return "scheme \"\(scheme)\" is not \(plain) or \(secure)" }
        if scheme == plain && !allowInsecure && !isLoopback(host) {
            return "plain \(plain) to \(host) would send the child's voice unencrypted; use \(secure), or set \(setting) = true"
        }
        return nil
    }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `base` + `path` (`/v1/...`), whether the base was written with a trailing slash or `/v1` or not.
    public static func url(_ base: String, _ path: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return base + path
    }
}
