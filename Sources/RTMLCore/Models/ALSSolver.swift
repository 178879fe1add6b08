import CSupport
import Dispatch
import Foundation

/// One half-iteration of implicit ALS: new factor rows for one side, the other side fixed.
///
/// Every row is solved on its own from the same Gram matrix, so splitting the
/// rows over threads changes nothing in the result; the Gram matrix itself is
/// summed over a fixed partition of the rows (not one per thread), so it is
/// the same for any thread count too.
struct ALSSolver {
    let factors: Int
    let regularization: Double
    let alpha: Double
    let conjugateGradientSteps: Int?
    let threads: Int

    /// How many positions ahead the CG passes ask for a factor row. A row of the
    /// fixed side is gathered by index from a matrix far bigger than the L2 cache
    /// (200,000 users × 64 floats is 51 MB); issued this early, the load is
    /// done by the time the row is needed. Measured: 8–24 are alike, none is 2x slower.
    static let prefetchDistance = 16

    /// YᵀY + ridge·I for the padded rows of `y`, n × n (n = `y.stride`) with
    /// zeros in the padding, in Float64.
    ///
    /// Rows are added in Float in blocks of 256 (each block's products stay
    /// in registers and cache) and the blocks in Float64, over a fixed split of
    /// the rows into parts that the threads share out.
    static func gram(_ y: FactorMatrix, ridge: Double, threads: Int) -> [Double] {
        let n = y.stride, f = y.factors, rows = y.rows
        let parts = max(1, min(64, (rows + 2047) / 2048))
        var partial = [Double](repeating: 0, count: parts * n * n)
        partial.withUnsafeMutableBufferPointer { buffer in
            let partialBase = buffer.baseAddress!
            parallel(parts, threads: threads) { part in
                let block = FactorMatrix(rows: n, factors: n)
                let sum = partialBase + part * n * n
                var start = rows * part / parts
                let end = rows * (part + 1) / parts
                while start < end {
                    let stop = min(end, start + 256)
                    block.base.update(repeating: 0, count: n * n)
                    PaddedKernels.addOuterProducts(y.base, rows: start..<stop, factors: f, block.base, n)
                    for a in 0..<f {
                        for b in a..<f { sum[a * n + b] += Double(block.base[a * n + b]) }
                    }
                    start = stop
                }
            }
        }
        var g = [Double](repeating: 0, count: n * n)
        for part in 0..<parts {
            for a in 0..<f {
                for b in a..<f { g[a * n + b] += partial[part * n * n + a * n + b] }
            }
        }
        for a in 0..<f {
            for b in 0..<a { g[a * n + b] = g[b * n + a] }
            g[a * n + a] += ridge
        }
        return g
    }

    /// Replaces each row of `x` (one per row of `rows`) with its least-squares solution against `y`.
    func solve(rows: SparseInteractions, into x: FactorMatrix, fixed y: FactorMatrix) {
        precondition(x.rows == rows.rowCount && y.rows == rows.columnCount && x.stride == y.stride)
        let n = x.stride
        let gram = ALSSolver.gram(y, ridge: regularization, threads: threads)
        let bounds = ALSSolver.balancedChunks(rows, count: threads > 1 ? threads * 8 : 1, denseCost: n / 2)
        rows.rowStarts.withUnsafeBufferPointer { starts in
            rows.columnIndices.withUnsafeBufferPointer { columns in
                rows.values.withUnsafeBufferPointer { values in
                    let entries = Entries(starts: starts.baseAddress!, columns: columns.baseAddress!, values: values.baseAddress!)
                    if let steps = conjugateGradientSteps {
                        let g = FactorMatrix(rows: n, factors: n)
                        for k in 0..<n * n { g.base[k] = Float(gram[k]) }
                        ALSSolver.parallel(bounds.count - 1, threads: threads) { chunk in
                            let scratch = FactorMatrix(rows: 3, factors: n)
                            let lastEntry = entries.starts[bounds[chunk + 1]]
                            for u in bounds[chunk]..<bounds[chunk + 1] {
                                conjugateGradient(x: x.row(u), y: y.base, n: n, gram: g.base, entries: entries, row: u,
                                                  firstPassPrefetchEnd: lastEntry, steps: steps, scratch: scratch.base)
                            }
                        }
                    } else {
                        ALSSolver.parallel(bounds.count - 1, threads: threads) { chunk in
                            var matrix = [Double](repeating: 0, count: factors * factors)
                            var rhs = [Double](repeating: 0, count: factors)
                            for u in bounds[chunk]..<bounds[chunk + 1] {
                                cholesky(x: x.row(u), y: y.base, n: n, gram: gram, entries: entries, row: u, matrix: &matrix, rhs: &rhs)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The CSR arrays as pointers, for the per-row loops.
    struct Entries: @unchecked Sendable {
        let starts: UnsafePointer<Int>
        let columns: UnsafePointer<Int32>
        let values: UnsafePointer<Float>
    }

    /// A few CG steps on the row's normal equations, starting from the current x.
    ///
    /// A·v = (YᵀY + λI)·v + Σ_{observed i} (c_i − 1)·(y_i·v)·y_i and b = Σ c_i·y_i are
    /// applied without forming A, so a step costs O(f² + nnz_u·f). The same
    /// arithmetic as implicit's `least_squares_cg`, step for step.
    @inline(__always)
    func conjugateGradient(
        x: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, n: Int, gram: UnsafePointer<Float>,
        entries: Entries, row u: Int, firstPassPrefetchEnd: Int, steps: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let r = scratch, p = scratch + n, ap = scratch + 2 * n
        let start = entries.starts[u], end = entries.starts[u + 1]
        let a = Float(alpha)
        // r = b − A·x. This first pass gathers the row's factor rows from memory;
        // it asks for the next row's first ones too, which the later passes of
        // this row give time to arrive.
        PaddedKernels.symmetricTimes(gram, x, sign: -1, r, n)
        for position in start..<end {
            prefetch(y, n: n, entries: entries, position: position &+ ALSSolver.prefetchDistance, before: firstPassPrefetchEnd)
            let w = entries.values[position]
            guard w > 0 else { continue }
            let c1 = a * w  // c − 1
            let yi = y + Int(entries.columns[position]) &* n
            PaddedKernels.axpy(1 + c1 - c1 * PaddedKernels.dot(yi, x, n), yi, r, n)
        }
        p.update(from: r, count: n)
        var rs = PaddedKernels.dot(r, r, n)
        for _ in 0..<steps {
            if rs < 1e-20 { break }  // already solved to float precision
            PaddedKernels.symmetricTimes(gram, p, sign: 1, ap, n)
            for position in start..<end {
                // A popular item's users do not fit in L2, so every pass re-reads them from memory.
                prefetch(y, n: n, entries: entries, position: position &+ ALSSolver.prefetchDistance, before: end)
                let w = entries.values[position]
                guard w > 0 else { continue }
                let yi = y + Int(entries.columns[position]) &* n
                PaddedKernels.axpy(a * w * PaddedKernels.dot(yi, p, n), yi, ap, n)
            }
            let pap = PaddedKernels.dot(p, ap, n)
            if !(pap > 0) { break }
            let step = rs / pap
            PaddedKernels.axpy(step, p, x, n)
            PaddedKernels.axpy(-step, ap, r, n)
            let rsNew = PaddedKernels.dot(r, r, n)
            PaddedKernels.xpby(r, rsNew / rs, p, n)
            rs = rsNew
        }
    }

    /// Asks for the factor row at `position` (if it is before `limit`), one cache line at a time.
    @inline(__always)
    func prefetch(_ y: UnsafePointer<Float>, n: Int, entries: Entries, position: Int, before limit: Int) {
        guard position < limit else { return }
        let row = UnsafeRawPointer(y + Int(entries.columns[position]) &* n)
        var offset = 0
        while offset < n &* 4 {
            rtml_prefetch(row + offset)
            offset &+= 64
        }
    }

    /// The exact solution of the row's normal equations by Cholesky factorisation, in Float64.
    func cholesky(
        x: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, n: Int, gram: [Double], entries: Entries, row u: Int,
        matrix: inout [Double], rhs: inout [Double]
    ) {
        let f = factors
        for a in 0..<f {
            for b in 0..<f { matrix[a * f + b] = gram[a * n + b] }
            rhs[a] = 0
        }
        for position in entries.starts[u]..<entries.starts[u + 1] where entries.values[position] > 0 {
            let c = 1 + alpha * Double(entries.values[position])
            let yi = y + Int(entries.columns[position]) * n
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

    /// `count + 1` row boundaries splitting `rows` into runs of about equal work:
    /// a row costs its nonzeros plus `denseCost` (its Gram products, in nonzero
    /// equivalents). Popular items have thousands of nonzeros, so equal row counts
    /// would leave one thread working long after the other.
    static func balancedChunks(_ rows: SparseInteractions, count: Int, denseCost: Int) -> [Int] {
        let n = rows.rowCount
        guard count > 1, n > 1 else { return [0, n] }
        let total = rows.nonZeroCount + n * denseCost
        var bounds = [0]
        var r = 0
        for chunk in 1..<count {
            let target = total * chunk / count
            while r < n && rows.rowStarts[r] + r * denseCost < target { r += 1 }
            if r > bounds.last! { bounds.append(r) }
        }
        if bounds.last! < n { bounds.append(n) }
        return bounds
    }

    /// Runs `body(0..<count)` on up to `threads` threads, handing out indices in
    /// order as threads come free.
    static func parallel(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = min(threads, count)
        guard workers > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        let next = NextIndex()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.take(below: count) { body(i) }
        }
    }

    /// A shared counter for ``parallel(_:threads:_:)``: taken a few dozen times
    /// per half-iteration, so a lock costs nothing measurable.
    private final class NextIndex: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take(below count: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard value < count else { return nil }
            value += 1
            return value - 1
        }
    }
}
