/// Deterministic pseudo-random numbers, identical on every machine and Swift version.
///
/// rtml never uses `SystemRandomNumberGenerator` where output must be
/// reproducible. The generator is xoshiro256** (Blackman and Vigna, "Scrambled
/// linear pseudorandom number generators", 2018): 256 bits of state, period
/// 2^256 − 1, output `rotl(s1 * 5, 7) * 9`. Its state is filled from SplitMix64
/// (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// 2014), as the xoshiro authors recommend, so any 64-bit seed, including 0,
/// gives a well-mixed non-zero state.
///
/// Derived values use only integer arithmetic and IEEE 754 basic operations
/// (no libm), so they are bit-identical across platforms.
public struct Xoshiro256StarStar: RandomNumberGenerator {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the four state words with consecutive SplitMix64 outputs of `seed`.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    /// A generator for one independent stream, keyed by a seed and up to three labels
    /// (for example user index, session index, purpose).
    ///
    /// The labels are folded in with SplitMix64's finaliser, so nearby labels
    /// give unrelated streams.
    public init(seed: UInt64, _ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0) {
        var key = SplitMix64.mix(seed ^ 0x5EED_0F27_7A1C_0001)
        key = SplitMix64.mix(key ^ (a &* 0x9E37_79B9_7F4A_7C15))
        key = SplitMix64.mix(key ^ (b &* 0xC2B2_AE3D_27D4_EB4F))
        key = SplitMix64.mix(key ^ (c &* 0x1656_67B1_9E37_79F9))
        self.init(seed: key)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in `0 ..< bound` (Lemire's multiply-shift with rejection, no modulo bias).
    @inline(__always)
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Uniform integer in the closed range.
    @inline(__always)
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// Uniform in [lo, hi).
    @inline(__always)
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * unit()
    }

    /// True with probability `p`.
    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// Approximately standard normal: the Irwin–Hall sum of four uniforms, centred and
    /// scaled to unit variance. Bounded to ±3.46, which suits simulation parameters
    /// and needs no transcendental functions.
    @inline(__always)
    public mutating func gaussian() -> Double {
        (unit() + unit() + unit() + unit() - 2.0) * 1.7320508075688772
    }
}

/// SplitMix64: a 64-bit counter passed through a strong finaliser. Used to seed
/// xoshiro256** and to hash labels into seeds.
public struct SplitMix64 {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 finaliser (a bijection on 64-bit values).
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
