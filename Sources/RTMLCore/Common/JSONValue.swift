/// A JSON document built in code, for stats files and reports; keys keep
/// the order they were given in, so output reads the way it was written.
public indirect enum JSONValue: Sendable, Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    /// For 64-bit unsigned values such as seeds, which may exceed Int.max.
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// Compact JSON text (one line), or indented with `pretty`.
    public func rendered(pretty: Bool = false) -> String {
        var out: [UInt8] = []
        render(into: &out, pretty: pretty, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private func render(into out: inout [UInt8], pretty: Bool, indent: Int) {
        func newline(_ level: Int) {
            guard pretty else { return }
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: level * 2))
        }
        switch self {
        case .object(let members):
            out.append(0x7B)
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(indent + 1)
                JSONString.appendQuoted(key, to: &out)
                out.append(0x3A)
                if pretty { out.append(0x20) }
                value.render(into: &out, pretty: pretty, indent: indent + 1)
            }
            if !members.isEmpty { newline(indent) }
            out.append(0x7D)
        case .array(let items):
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(indent + 1)
                item.render(into: &out, pretty: pretty, indent: indent + 1)
            }
            if !items.isEmpty { newline(indent) }
            out.append(0x5D)
        case .string(let s):
            JSONString.appendQuoted(s, to: &out)
        case .int(let v):
            out.append(contentsOf: String(v).utf8)
        case .uint(let v):
            out.append(contentsOf: String(v).utf8)
        case .double(let v):
            // JSON has no NaN or infinity; null says "no value" honestly.
            if v.isFinite {
                out.append(contentsOf: (v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)").utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .bool(let b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        }
    }
}
