/// ALS item factors stored factor-major (row k holds factor k of every
/// item, padded with zeros to a multiple of 16 items, each row starting on
/// a cache line), so that one user's scores come out sixteen items at a
/// time, with no horizontal sums and one cache line read per factor.
///
/// The arithmetic is exactly `ALSScorer.scores(user:into:)`'s, in the same
/// order, so the scores are bit for bit the same (a test compares them):
/// that loop keeps eight running sums per item, lane j adding the products
/// of factors j, j + 8, j + 16, ... in turn, then adds the lanes 0 to 7 in
/// order (`SIMD8.sum()`, a sequential sum), then the factors past the last
/// multiple of eight. Here lane j's running sum is computed for sixteen
/// items side by side.
struct ItemFactorsByFactor: @unchecked Sendable {
    let factors: Int
    let itemCount: Int
    /// Items rounded up to a multiple of 16: the length of a row.
    let paddedCount: Int
    private let storage: Storage

    /// Owns the aligned rows (read-only once made).
    private final class Storage {
        let values: UnsafeMutablePointer<Float>
        init(count: Int) {
            values = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(count, 1))
            values.initialize(repeating: 0, count: max(count, 1))
        }
        deinit { values.deallocate() }
    }

    init(itemFactors: [Float], itemCount: Int, factors: Int) {
        self.factors = factors
        self.itemCount = itemCount
        paddedCount = (itemCount + 15) / 16 * 16
        storage = Storage(count: paddedCount * factors)
        for i in 0..<itemCount {
            for k in 0..<factors { storage.values[k * paddedCount + i] = itemFactors[i * factors + k] }
        }
    }

    /// Writes the score of every item (dot product with `user`, `factors`
    /// floats) to `out`, which must hold `paddedCount` floats (the padding
    /// items score 0).
    func scores(user: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let f = factors
        let lanes = f / 8 * 8
        let stride = paddedCount
        let base = UnsafeRawPointer(storage.values)
        let rowBytes = stride &* 4
        @inline(__always) func load(_ p: UnsafeRawPointer, _ at: Int) -> SIMD4<Float> {
            p.load(fromByteOffset: at, as: SIMD4<Float>.self)
        }
        var block = 0
        while block < stride {
            let column = base + block &* 4
            var s0 = SIMD4<Float>(repeating: -0.0), s1 = s0, s2 = s0, s3 = s0
            var lane = 0
            while lane < lanes && lane < 8 {
                var a0 = SIMD4<Float>(), a1 = a0, a2 = a0, a3 = a0
                var k = lane
                while k < lanes {
                    let u = SIMD4<Float>(repeating: user[k])
                    let row = column + k &* rowBytes
                    a0 += u * load(row, 0)
                    a1 += u * load(row, 16)
                    a2 += u * load(row, 32)
                    a3 += u * load(row, 48)
                    k &+= 8
                }
                s0 += a0
                s1 += a1
                s2 += a2
                s3 += a3
                lane &+= 1
            }
            if lanes == 0 {
                // With fewer than 8 factors the original sums eight zero lanes: -0 + 0 = +0.
                let zero = SIMD4<Float>()
                s0 += zero
                s1 += zero
                s2 += zero
                s3 += zero
            }
            var k = lanes
            while k < f {
                let u = SIMD4<Float>(repeating: user[k])
                let row = column + k &* rowBytes
                s0 += u * load(row, 0)
                s1 += u * load(row, 16)
                s2 += u * load(row, 32)
                s3 += u * load(row, 48)
                k &+= 1
            }
            let target = UnsafeMutableRawPointer(out + block)
            target.storeBytes(of: s0, toByteOffset: 0, as: SIMD4<Float>.self)
            target.storeBytes(of: s1, toByteOffset: 16, as: SIMD4<Float>.self)
            target.storeBytes(of: s2, toByteOffset: 32, as: SIMD4<Float>.self)
            target.storeBytes(of: s3, toByteOffset: 48, as: SIMD4<Float>.self)
            block &+= 16
        }
    }
}
