/// A 128-bit non-cryptographic hash of a byte string.
///
/// Used for deduplication keys and derived message ids: 128 bits make a false
/// duplicate among a day's billions of ids practically impossible (birthday
/// bound ~2^64), where 64 bits would leave a small but real chance. Words are
/// absorbed 8 bytes at a time into two lanes with different multipliers and
/// finished with MurmurHash3's 64-bit finaliser (fmix64). The values are
/// part of rtml's output (derived message ids), so this must never change
/// between releases.
public struct Hash128: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) {
        let n = bytes.count
        var a: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ seed ^ (UInt64(n) &* 0xC2B2_AE3D_27D4_EB4F)
        var b: UInt64 = 0x1656_67B1_9E37_79F9 &+ seed
        var i = 0
        let base = bytes.baseAddress
        while i + 8 <= n {
            let w = UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            a = Self.rotl((a ^ (w &* 0x87C3_7B91_1142_53D5)), 31) &* 0x4CF5_AD43_2745_937F
            b = Self.rotl((b &+ w) &* 0x52DC_E729, 27) ^ a
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(base!.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            a = Self.rotl((a ^ (w &* 0x87C3_7B91_1142_53D5)), 31) &* 0x4CF5_AD43_2745_937F
            b = Self.rotl((b &+ w) &* 0x52DC_E729, 27) ^ a
        }
        a = Self.fmix(a &+ b)
        b = Self.fmix(b ^ Self.rotl(a, 17))
        high = a
        low = b
    }

    public init(_ string: String, seed: UInt64 = 0) {
        var copy = string
        self = copy.withUTF8 { Hash128(UnsafeRawBufferPointer($0), seed: seed) }
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) static func fmix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k = k &* 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 33
        k = k &* 0xC4CE_B9FE_1A85_EC53
        k ^= k >> 33
        return k
    }

    /// 32 lowercase hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<16 {
            out[15 - i] = digits[Int((high >> (UInt64(i) * 4)) & 0xF)]
            out[31 - i] = digits[Int((low >> (UInt64(i) * 4)) & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
