/// The few dense vector loops the trainers spend their time in.
///
/// Written with explicit SIMD accumulators because the compiler may not
/// reorder a floating-point sum on its own: a plain `for` loop computing a dot
/// product runs one multiply-add at a time, four to eight times slower.
enum VectorKernels {
    /// Σ a[i]·b[i] for i < n.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i + 8 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
                * rb.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            s1 += ra.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
                * rb.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
            i &+= 8
        }
        var s = (s0 + s1).sum()
        while i < n {
            s += a[i] * b[i]
            i &+= 1
        }
        return s
    }

    /// y[i] += alpha·x[i] for i < n.
    @inline(__always)
    static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD4<Double>(repeating: alpha)
        var i = 0
        while i + 4 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
                + va * rx.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            ry.storeBytes(of: v, toByteOffset: i &* 8, as: SIMD4<Double>.self)
            i &+= 4
        }
        while i < n {
            y[i] += alpha * x[i]
            i &+= 1
        }
    }

    /// y[i] += alpha·x[i], then returns Σ z[i]·y[i]: one pass instead of two, for
    /// coordinate descent, where each residual update is followed by the next column's
    /// correlation with the residual.
    @inline(__always)
    static func axpyThenDot(
        _ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ z: UnsafePointer<Double>, _ n: Int
    ) -> Double {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y), rz = UnsafeRawPointer(z)
        let va = SIMD4<Double>(repeating: alpha)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i + 8 <= n {
            let v0 = ry.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
                + va * rx.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            let v1 = ry.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
                + va * rx.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
            ry.storeBytes(of: v0, toByteOffset: i &* 8, as: SIMD4<Double>.self)
            ry.storeBytes(of: v1, toByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
            s0 += v0 * rz.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            s1 += v1 * rz.loadUnaligned(fromByteOffset: (i &+ 4) &* 8, as: SIMD4<Double>.self)
            i &+= 8
        }
        var s = (s0 + s1).sum()
        while i < n {
            y[i] += alpha * x[i]
            s += z[i] * y[i]
            i &+= 1
        }
        return s
    }

    /// Σ a[i]·b[i] for i < n, in single precision (ALS factors).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        // Two independent sums: with one, each add waits for the previous (the
        // factor vectors are short, so latency, not bandwidth, is the limit).
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self)
            i &+= 16
        }
        if i + 8 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        var s = (s0 + s1).sum()
        while i < n {
            s += a[i] * b[i]
            i &+= 1
        }
        return s
    }

    /// y[i] += alpha·x[i] for i < n, in single precision.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                + va * rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < n {
            y[i] += alpha * x[i]
            i &+= 1
        }
    }
}
