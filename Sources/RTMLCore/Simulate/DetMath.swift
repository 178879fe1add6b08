/// `exp` and `log` from IEEE 754 basic operations only.
///
/// libm's results may differ in the last bit between platforms and versions;
/// a one-ulp difference could flip a sampled choice and change the simulated
/// day. These use range reduction and fixed polynomials, so every machine
/// computes the same bits. Accuracy is about 1e-15 relative, far beyond what
/// simulation needs.
enum DetMath {
    static let ln2Hi = 6.93147180369123816490e-01
    static let ln2Lo = 1.90821492927058770002e-10
    static let ln2 = 0.6931471805599453
    static let invLn2 = 1.4426950408889634

    /// e^x, clamped to the finite range.
    static func exp(_ x: Double) -> Double {
        if x > 700 { return exp(700) }
        if x < -700 { return 0 }
        // Round to nearest by truncation toward zero of x/ln2 ± 0.5 (no libm call).
        let k = Double(Int64(x * invLn2 + (x < 0 ? -0.5 : 0.5)))
        let r = (x - k * ln2Hi) - k * ln2Lo
        // Taylor series to degree 13 on |r| <= 0.35: remainder < 1e-17.
        var p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        return p * Double(bitPattern: UInt64(1023 + Int(k)) << 52)
    }

    /// Natural logarithm of a positive, finite, normal x.
    static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isNormal)
        let bits = x.bitPattern
        var e = Int((bits >> 52) & 0x7FF) - 1023
        var m = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
        if m > 1.4142135623730951 {
            m *= 0.5
            e += 1
        }
        // log(m) = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.172: odd series to f^21.
        let f = (m - 1) / (m + 1)
        let f2 = f * f
        var s = 1.0 / 21.0
        s = s * f2 + 1.0 / 19.0
        s = s * f2 + 1.0 / 17.0
        s = s * f2 + 1.0 / 15.0
        s = s * f2 + 1.0 / 13.0
        s = s * f2 + 1.0 / 11.0
        s = s * f2 + 1.0 / 9.0
        s = s * f2 + 1.0 / 7.0
        s = s * f2 + 1.0 / 5.0
        s = s * f2 + 1.0 / 3.0
        s = s * f2 + 1.0
        return Double(e) * ln2Hi + (2 * f * s + Double(e) * ln2Lo)
    }

    /// The logistic function 1 / (1 + e^-x).
    static func sigmoid(_ x: Double) -> Double {
        1.0 / (1.0 + exp(-x))
    }
}

extension Xoshiro256StarStar {
    /// Log-uniform in [lo, hi): equal odds per order of magnitude, the usual shape
    /// of network delays.
    @inline(__always)
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        lo * DetMath.exp(unit() * DetMath.log(hi / lo))
    }
}
