import Foundation

/// One SQLite value read from a store, as the diff reports it.
public enum DiffValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// As a JSON value: a vector column's blob as its float32 values, any
    /// other blob as lowercase hex.
    func json(vector: Bool) -> JSONValue {
        switch self {
        case .null: return .null
        case .integer(let v): return .int(Int(v))
        case .real(let v): return .double(v)
        case .text(let s): return .string(s)
        case .blob(let bytes):
            if vector, let floats = DiffValue.floats(bytes) { return .array(floats.map { .double(Double($0)) }) }
            return .string(DiffValue.hex(bytes))
        }
    }

    /// As an SQL literal that reads back as the same value and storage class.
    var sqlLiteral: String {
        switch self {
        case .null: return "NULL"
        case .integer(let v): return String(v)
        case .real(let v): return DiffValue.realLiteral(v)
        case .text(let s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let bytes): return "X'" + DiffValue.hex(bytes) + "'"
        }
    }

    /// For the text summary: short, and vectors by length.
    func shortText(vector: Bool) -> String {
        switch self {
        case .null: return "NULL"
        case .integer(let v): return String(v)
        case .real(let v): return DiffValue.compact(v)
        case .text(let s): return s.count > 40 ? "\"" + s.prefix(37) + "...\"" : "\"" + s + "\""
        case .blob(let bytes):
            if vector, let floats = DiffValue.floats(bytes) {
                return "[" + floats.prefix(3).map { DiffValue.compact(Double($0)) }.joined(separator: ", ")
                    + (floats.count > 3 ? ", ... \(floats.count) values]" : "]")
            }
            return "x'" + DiffValue.hex(Array(bytes.prefix(8))) + (bytes.count > 8 ? "...' (\(bytes.count) bytes)" : "'")
        }
    }

    /// 17 significant digits round-trip every double; a decimal point or
    /// exponent keeps the literal REAL in a column without affinity.
    static func realLiteral(_ v: Double) -> String {
        if v.isNaN { return "NULL" }
        if v.isInfinite { return v < 0 ? "-1e999" : "1e999" }
        var text = String(format: "%.17g", v)
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "n" || $0 == "i" }) { text += ".0" }
        return text
    }

    static func compact(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Little-endian float32 values, or nil when the length is not a multiple of 4.
    static func floats(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in Self.floats(raw) }
    }

    static func floats(_ raw: UnsafeRawBufferPointer) -> [Float]? {
        guard raw.count % 4 == 0 else { return nil }
        return (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
}
