import TOMLKit

/// A parsed TOML value, copied out of TOMLKit's reference types into a plain Sendable tree so that
/// configuration can cross actors and be reloaded without sharing mutable state.
public indirect enum TOMLNode: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLNode])
    case table([String: TOMLNode])
    /// Dates and times: Cubby's files have none, so they are kept only to be named in errors.
    case other(String)

    init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .float(value.double ?? 0)
        case .bool: self = .boolean(value.bool ?? false)
        case .array: self = .array((value.array.map { Array($0) } ?? []).map { TOMLNode($0) })
        case .table:
            var entries: [String: TOMLNode] = [:]
            if let table = value.table {
                for (key, child) in table { entries[key] = TOMLNode(child) }
            }
            self = .table(entries)
        default: self = .other("\(value.type)")
        }
    }

    /// How the value is named in an error message.
    public var kindDescription: String {
        switch self {
        case .string(let s): return "the string \"\(s.prefix(40))\""
        case .integer(let i): return "the integer \(i)"
        case .float(let d): return "the number \(d)"
        case .boolean(let b): return "the boolean \(b)"
        case .array: return "an array"
        case .table: return "a table"
        case .other(let kind): return "a \(kind)"
        }
    }
}
