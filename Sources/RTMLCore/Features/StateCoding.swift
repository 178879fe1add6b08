/// Little-endian binary writer for checkpoint state.
struct StateWriter {
    var bytes: [UInt8] = []

    init(version: UInt8) {
        bytes.append(version)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func i64(_ v: Int64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u32(_ v: Int) {
        withUnsafeBytes(of: UInt32(v).littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The exact bit pattern, NaN payloads included.
    mutating func f64(_ v: Double) {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func f32(_ v: Float) {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        u32(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }
}

/// Writes what `StateWriter` writes into memory already sized for it.
struct RawStateWriter {
    let base: UnsafeMutablePointer<UInt8>
    var offset = 0

    init(_ base: UnsafeMutablePointer<UInt8>) {
        self.base = base
    }

    @inline(__always) mutating func u8(_ v: UInt8) {
        base[offset] = v
        offset += 1
    }

    @inline(__always) mutating func u64(_ v: UInt64) {
        UnsafeMutableRawPointer(base + offset).storeBytes(of: v.littleEndian, as: UInt64.self)
        offset += 8
    }

    @inline(__always) mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    @inline(__always) mutating func u32(_ v: Int) {
        UnsafeMutableRawPointer(base + offset).storeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, as: UInt32.self)
        offset += 4
    }
}

/// Reads what `StateWriter` wrote; every read is bounds-checked.
struct StateReader {
    let bytes: [UInt8]
    var offset = 0
    let what: String

    init(_ bytes: [UInt8], what: String, version: UInt8) throws {
        self.bytes = bytes
        self.what = what
        let found = try u8()
        guard found == version else {
            throw RTMLError("\(what): checkpoint state has format version \(found), this rtml reads version \(version)")
        }
    }

    func corrupt(_ why: String) -> RTMLError {
        RTMLError("\(what): checkpoint state is corrupt (\(why) at byte \(offset))")
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - offset >= n else { throw corrupt("truncated") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func u8() throws -> UInt8 { try take(1).first! }

    mutating func u64() throws -> UInt64 {
        var v: UInt64 = 0
        for (k, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
        return v
    }

    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    mutating func u32() throws -> Int {
        var v: UInt32 = 0
        for (k, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(k)) }
        return Int(v)
    }

    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }

    mutating func f32() throws -> Float { Float(bitPattern: UInt32(try u32())) }

    mutating func string() throws -> String {
        let n = try u32()
        return String(decoding: try take(n), as: UTF8.self)
    }

    /// A count of items of at least `itemSize` bytes each, checked against what is left.
    mutating func count(itemSize: Int) throws -> Int {
        let n = try u32()
        guard n * itemSize <= bytes.count - offset else { throw corrupt("count \(n) beyond the end") }
        return n
    }

    func finish() throws {
        guard offset == bytes.count else { throw corrupt("\(bytes.count - offset) bytes left over") }
    }
}
