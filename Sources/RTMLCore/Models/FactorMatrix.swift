import Foundation

/// ALS factors while they are being trained: row-major, each row padded with
/// zeros to a multiple of 8 floats and the whole block 64-byte aligned.
///
/// The padding lets the solver's kernels work in whole `SIMD8<Float>` vectors
/// with no tail loops for any number of factors, and the alignment keeps a
/// 64-factor row on exactly four cache lines. The padding stays zero through
/// training: the Gram matrix is zero in the padded rows and columns, so the
/// conjugate-gradient steps never move a padded coordinate.
///
/// A class, not an array, so the solver's threads can write disjoint rows
/// through the same pointer; `packed` gives the unpadded `[Float]` a model
/// and a bundle hold.
final class FactorMatrix: @unchecked Sendable {
    let rows: Int
    let factors: Int
    /// Floats from one row to the next: `factors` rounded up to a multiple of 8.
    let stride: Int
    let base: UnsafeMutablePointer<Float>

    init(rows: Int, factors: Int) {
        self.rows = rows
        self.factors = factors
        self.stride = FactorMatrix.paddedWidth(factors)
        let count = max(1, rows * stride)
        let bytes = count * MemoryLayout<Float>.size
        let huge = bytes >= FactorMatrix.hugePage
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge ? FactorMatrix.hugePage : 64)
        #if os(Linux)
        // The solver reads the fixed side's rows in random order; with 4 KB pages
        // nearly every one of those reads also misses the TLB (51 MB of user
        // factors is 12,500 pages), so ask for 2 MB pages where the kernel
        // gives them on request (transparent_hugepage = madvise). Advice only:
        // if refused, nothing changes but speed.
        // Whole huge pages only: the block's tail may share a page with other memory.
        if huge { _ = madvise(raw, bytes / FactorMatrix.hugePage * FactorMatrix.hugePage, MADV_HUGEPAGE) }
        #endif
        base = raw.bindMemory(to: Float.self, capacity: count)
        base.initialize(repeating: 0, count: count)
    }

    /// The size of a transparent huge page on x86-64 and arm64 Linux.
    static let hugePage = 2 << 20

    /// Copies unpadded row-major factors (`rows × factors`) in.
    convenience init(packed: [Float], factors: Int) {
        precondition(factors > 0 && packed.count % factors == 0, "factor arrays must hold whole rows of \(factors)")
        self.init(rows: packed.count / factors, factors: factors)
        packed.withUnsafeBufferPointer { source in
            for r in 0..<rows {
                (base + r * stride).update(from: source.baseAddress! + r * factors, count: factors)
            }
        }
    }

    deinit { base.deallocate() }

    static func paddedWidth(_ factors: Int) -> Int { (factors + 7) / 8 * 8 }

    /// The factors without padding, row-major `rows × factors`.
    var packed: [Float] {
        [Float](unsafeUninitializedCapacity: rows * factors) { out, count in
            for r in 0..<rows {
                (out.baseAddress! + r * factors).initialize(from: base + r * stride, count: factors)
            }
            count = rows * factors
        }
    }

    /// Row `r`'s first float.
    @inline(__always)
    func row(_ r: Int) -> UnsafeMutablePointer<Float> { base + r &* stride }
}
