import Dispatch

/// One half-iteration of implicit ALS: new factor rows for one side, the other side fixed.
struct ALSSolver {
    let factors: Int
    let regularization: Double
    let alpha: Double
    let conjugateGradientSteps: Int?
    let threads: Int

    /// YᵀY + ridge·I for row-major `y` (`rows × factors`), accumulated in Float64.
    static func gram(_ y: [Float], rows: Int, factors f: Int, ridge: Double) -> [Double] {
        var g = [Double](repeating: 0, count: f * f)
        var row = [Double](repeating: 0, count: f)
        g.withUnsafeMutableBufferPointer { gb in
            row.withUnsafeMutableBufferPointer { rb in
                let gp = gb.baseAddress!, rp = rb.baseAddress!
                for r in 0..<rows {
                    for a in 0..<f { rp[a] = Double(y[r * f + a]) }
                    // Upper triangle only (b ≥ a); mirrored below.
                    for a in 0..<f where rp[a] != 0 { VectorKernels.axpy(rp[a], rp + a, gp + a * f + a, f - a) }
                }
            }
        }
        for a in 0..<f {
            for b in 0..<a { g[a * f + b] = g[b * f + a] }
            g[a * f + a] += ridge
        }
        return g
    }

    /// Replaces each row of `x` (one per row of `rows`) with its least-squares solution against `y`.
    func solve(rows: SparseInteractions, into x: inout [Float], fixed y: [Float]) {
        let f = factors
        let gram = ALSSolver.gram(y, rows: rows.columnCount, factors: f, ridge: regularization)
        let gramFloat = gram.map { Float($0) }
        let n = rows.rowCount
        let chunks = max(1, min(threads, n))
        x.withUnsafeMutableBufferPointer { xb in
            let xBase = xb.baseAddress!
            y.withUnsafeBufferPointer { yb in
                let yBase = yb.baseAddress!
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let range = (n * chunk / chunks)..<(n * (chunk + 1) / chunks)
                    if let steps = conjugateGradientSteps {
                        var scratch = [Float](repeating: 0, count: 3 * f)
                        scratch.withUnsafeMutableBufferPointer { s in
                            for u in range {
                                conjugateGradient(row: u, of: rows, x: xBase + u * f, y: yBase, gram: gramFloat, steps: steps, scratch: s.baseAddress!)
                            }
                        }
                    } else {
                        var matrix = [Double](repeating: 0, count: f * f)
                        var rhs = [Double](repeating: 0, count: f)
                        for u in range {
                            cholesky(row: u, of: rows, x: xBase + u * f, y: yBase, gram: gram, matrix: &matrix, rhs: &rhs)
                        }
                    }
                }
            }
        }
    }

    /// A few CG steps on the row's normal equations, starting from the current x.
    ///
    /// A·v = (YᵀY + λI)·v + Σ_{observed i} (c_i − 1)·(y_i·v)·y_i and b = Σ c_i·y_i are
    /// applied without forming A, so a step costs O(f² + nnz_u·f).
    @inline(__always)
    func conjugateGradient(
        row u: Int, of rows: SparseInteractions, x: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>,
        gram: [Float], steps: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let f = factors
        let r = scratch, p = scratch + f, ap = scratch + 2 * f
        let start = rows.rowStarts[u], end = rows.rowStarts[u + 1]
        let a = Float(alpha)
        rows.columnIndices.withUnsafeBufferPointer { cols in
            rows.values.withUnsafeBufferPointer { vals in
                gram.withUnsafeBufferPointer { gb in
                    let g = gb.baseAddress!
                    // r = b − A·x
                    for k in 0..<f { r[k] = -VectorKernels.dot(g + k * f, x, f) }
                    for position in start..<end where vals[position] > 0 {
                        let c = 1 + a * vals[position]
                        let yi = y + Int(cols[position]) * f
                        VectorKernels.axpy(c - (c - 1) * VectorKernels.dot(yi, x, f), yi, r, f)
                    }
                    for k in 0..<f { p[k] = r[k] }
                    var rs = VectorKernels.dot(r, r, f)
                    for _ in 0..<steps {
                        if rs < 1e-20 { break }  // already solved to float precision
                        for k in 0..<f { ap[k] = VectorKernels.dot(g + k * f, p, f) }
                        for position in start..<end where vals[position] > 0 {
                            let c = 1 + a * vals[position]
                            let yi = y + Int(cols[position]) * f
                            VectorKernels.axpy((c - 1) * VectorKernels.dot(yi, p, f), yi, ap, f)
                        }
                        let pap = VectorKernels.dot(p, ap, f)
                        if !(pap > 0) { break }
                        let step = rs / pap
                        VectorKernels.axpy(step, p, x, f)
                        VectorKernels.axpy(-step, ap, r, f)
                        let rsNew = VectorKernels.dot(r, r, f)
                        let beta = rsNew / rs
                        for k in 0..<f { p[k] = r[k] + beta * p[k] }
                        rs = rsNew
                    }
                }
            }
        }
    }

    /// The exact solution of the row's normal equations by Cholesky factorisation, in Float64.
    func cholesky(
        row u: Int, of rows: SparseInteractions, x: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>,
        gram: [Double], matrix: inout [Double], rhs: inout [Double]
    ) {
        let f = factors
        for k in 0..<f * f { matrix[k] = gram[k] }
        for k in 0..<f { rhs[k] = 0 }
        for position in rows.rowStarts[u]..<rows.rowStarts[u + 1] where rows.values[position] > 0 {
            let c = 1 + alpha * Double(rows.values[position])
            let yi = y + Int(rows.columnIndices[position]) * f
            for a in 0..<f {
                rhs[a] += c * Double(yi[a])
                let scaled = (c - 1) * Double(yi[a])
                for b in 0...a { matrix[a * f + b] += scaled * Double(yi[b]) }
            }
        }
        // Lower-triangular L with L·Lᵀ = A, in place; pivots are floored so a
        // rank-deficient system (λ = 0) still gives a finite answer.
        for j in 0..<f {
            var d = matrix[j * f + j]
            for k in 0..<j { d -= matrix[j * f + k] * matrix[j * f + k] }
            d = max(d, 1e-12).squareRoot()
            matrix[j * f + j] = d
            for i in (j + 1)..<max(j + 1, f) {
                var s = matrix[i * f + j]
                for k in 0..<j { s -= matrix[i * f + k] * matrix[j * f + k] }
                matrix[i * f + j] = s / d
            }
        }
        for i in 0..<f {  // L·z = b
            var s = rhs[i]
            for k in 0..<i { s -= matrix[i * f + k] * rhs[k] }
            rhs[i] = s / matrix[i * f + i]
        }
        for i in stride(from: f - 1, through: 0, by: -1) {  // Lᵀ·x = z
            var s = rhs[i]
            for k in (i + 1)..<max(i + 1, f) { s -= matrix[k * f + i] * rhs[k] }
            rhs[i] = s / matrix[i * f + i]
        }
        for k in 0..<f { x[k] = Float(rhs[k]) }
    }
}
