/// Vector loops of the ALS solver over rows padded to a multiple of 8 floats
/// and 32-byte aligned (``FactorMatrix``), so every loop runs whole
/// `SIMD8<Float>` vectors with aligned loads and no scalar tail.
///
/// `n` is the padded width everywhere. Index arithmetic uses wrapping
/// operators: the bounds are the caller's rows, and overflow checks in these
/// loops cost as much as the arithmetic they guard.
enum PaddedKernels {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vector {
        UnsafeRawPointer(p + i).load(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Vector.self)
    }

    /// Σ a[i]·b[i].
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        // Two sums so consecutive adds do not wait for each other.
        var s0 = Vector(), s1 = Vector()
        var i = 0
        while i &+ 16 <= n {
            s0 += load(a, i) * load(b, i)
            s1 += load(a, i &+ 8) * load(b, i &+ 8)
            i &+= 16
        }
        if i < n { s0 += load(a, i) * load(b, i) }
        return (s0 + s1).sum()
    }

    /// y += t·x.
    @inline(__always)
    static func axpy(_ t: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let tv = Vector(repeating: t)
        var i = 0
        while i < n {
            store(load(y, i) + tv * load(x, i), y, i)
            i &+= 8
        }
    }

    /// y = x + t·y (the CG direction update p = r + β·p).
    @inline(__always)
    static func xpby(_ x: UnsafePointer<Float>, _ t: Float, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let tv = Vector(repeating: t)
        var i = 0
        while i < n {
            store(load(x, i) + tv * load(y, i), y, i)
            i &+= 8
        }
    }

    /// out = sign·(G·v) for a symmetric n × n matrix G.
    ///
    /// By symmetry, columns c..<c+32 of G·v are Σ_k v[k]·G[k, c..<c+32]: four
    /// vector sums that stay in registers for the whole pass over k, instead of
    /// n dot products each ending in a horizontal add.
    @inline(__always)
    static func symmetricTimes(_ g: UnsafePointer<Float>, _ v: UnsafePointer<Float>, sign: Float, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        var c = 0
        while c &+ 32 <= n {
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
            var row = g + c
            for k in 0..<n {
                let vk = Vector(repeating: v[k])
                a0 += load(row, 0) * vk
                a1 += load(row, 8) * vk
                a2 += load(row, 16) * vk
                a3 += load(row, 24) * vk
                row += n
            }
            let s = Vector(repeating: sign)
            store(s * a0, out, c)
            store(s * a1, out, c &+ 8)
            store(s * a2, out, c &+ 16)
            store(s * a3, out, c &+ 24)
            c &+= 32
        }
        while c < n {
            var a0 = Vector(), a1 = Vector()
            var row = g + c
            var k = 0
            while k &+ 2 <= n {
                a0 += load(row, 0) * Vector(repeating: v[k])
                a1 += load(row, n) * Vector(repeating: v[k &+ 1])
                row += 2 &* n
                k &+= 2
            }
            if k < n { a0 += load(row, 0) * Vector(repeating: v[k]) }
            store(Vector(repeating: sign) * (a0 + a1), out, c)
            c &+= 8
        }
    }

    /// Adds y_rᵀ·y_r for rows `rows` of `y` (stride `n`) to the upper triangle of
    /// the n × n matrix `g`, in blocks of 8 columns from each row's diagonal block on.
    ///
    /// Four rows at a time: each load and store of `g` then carries four
    /// products instead of one (the loop is bound by `g`'s loads and stores).
    @inline(__always)
    static func addOuterProducts(_ y: UnsafePointer<Float>, rows: Range<Int>, factors: Int, _ g: UnsafeMutablePointer<Float>, _ n: Int) {
        var r = rows.lowerBound
        while r &+ 4 <= rows.upperBound {
            let y0 = y + r &* n, y1 = y0 + n, y2 = y1 + n, y3 = y2 + n
            for a in 0..<factors {
                let b0 = Vector(repeating: y0[a]), b1 = Vector(repeating: y1[a])
                let b2 = Vector(repeating: y2[a]), b3 = Vector(repeating: y3[a])
                let ga = g + a &* n
                var c = a & ~7
                while c < n {
                    let sum = (b0 * load(y0, c) + b1 * load(y1, c)) + (b2 * load(y2, c) + b3 * load(y3, c))
                    store(load(ga, c) + sum, ga, c)
                    c &+= 8
                }
            }
            r &+= 4
        }
        while r < rows.upperBound {
            let y0 = y + r &* n
            for a in 0..<factors {
                let b0 = Vector(repeating: y0[a])
                let ga = g + a &* n
                var c = a & ~7
                while c < n {
                    store(load(ga, c) + b0 * load(y0, c), ga, c)
                    c &+= 8
                }
            }
            r &+= 1
        }
    }
}
