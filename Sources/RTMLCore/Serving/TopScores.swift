/// The k best of a list of scores, best first, ties to the lower index:
/// the selection `TopK.select` makes, over a raw buffer and into reused
/// storage, because it runs once per served job over every item.
///
/// The list itself is kept as `TopK.select` keeps it (sorted worst-first,
/// its first entry the bar to enter, candidates offered in index order),
/// so the result is the same for every input, NaN included. Offering every
/// item made that list the costliest step of a served job: with scores in
/// no particular order, dozens of items enter it and leave again. So when
/// the scores hold no NaN, a first pass finds a bar no item of the top k is
/// below (the k-th highest maximum of the blocks of 8: at least k items
/// reach it), and only the items that reach that bar are offered. The
/// others would never have stayed in the list, so the result is unchanged.
struct TopScores {
    /// Indices and scores of the kept items, worst first; `count` of them are valid.
    private var index: [Int32] = []
    private var score: [Float] = []
    private(set) var count = 0
    /// The k highest block maxima seen so far, lowest first (the first pass).
    private var blockBest: [Float] = []

    /// Selects the `k` best of `scores[0 ..< n]`.
    mutating func select(_ k: Int, from scores: UnsafePointer<Float>, count n: Int) {
        count = 0
        guard k > 0 else { return }
        if index.count < k {
            index = [Int32](repeating: 0, count: k)
            score = [Float](repeating: 0, count: k)
            blockBest = [Float](repeating: 0, count: k)
        }
        let blocks = n / 8
        let bar = blocks >= k ? lowerBound(k, scores, blocks: blocks, count: n) : nil
        var kept = 0
        index.withUnsafeMutableBufferPointer { idx in
            score.withUnsafeMutableBufferPointer { sc in
                @inline(__always) func offer(_ at: Int, _ v: Float) {
                    if kept == k && !(sc[0] < v) { return }
                    var position = 0
                    while position < kept && sc[position] < v { position += 1 }
                    if kept < k {
                        var j = kept
                        while j > position {
                            idx[j] = idx[j - 1]
                            sc[j] = sc[j - 1]
                            j -= 1
                        }
                        idx[position] = Int32(at)
                        sc[position] = v
                        kept += 1
                    } else {
                        // Full: the new entry goes in and the worst (entry 0) drops out.
                        var j = 0
                        while j < position - 1 {
                            idx[j] = idx[j + 1]
                            sc[j] = sc[j + 1]
                            j += 1
                        }
                        idx[position - 1] = Int32(at)
                        sc[position - 1] = v
                    }
                }
                if let bar {
                    let barLanes = SIMD8<Float>(repeating: bar)
                    for b in 0..<blocks {
                        let v = UnsafeRawPointer(scores + b * 8).loadUnaligned(as: SIMD8<Float>.self)
                        // Once the list is full, an item not above its worst is turned away
                        // by `offer` anyway: only those above it need offering.
                        let wanted = kept == k ? v .> SIMD8<Float>(repeating: sc[0]) : v .>= barLanes
                        guard any(wanted) else { continue }
                        for lane in 0..<8 where wanted[lane] { offer(b * 8 + lane, v[lane]) }
                    }
                    for i in (blocks * 8)..<n where scores[i] >= bar { offer(i, scores[i]) }
                } else {
                    for i in 0..<n { offer(i, scores[i]) }
                }
            }
        }
        count = kept
    }

    /// The k-th highest of the maxima of the `blocks` full blocks of 8: at
    /// least k items reach it, so every item of the top k does. Nil when a
    /// score is NaN (the comparisons the list makes then are not an order,
    /// and only offering every item gives the same result).
    private mutating func lowerBound(_ k: Int, _ scores: UnsafePointer<Float>, blocks: Int, count n: Int) -> Float? {
        var nan = SIMDMask<SIMD8<Int32>>(repeating: false)
        var seen = 0
        let found: Float = blockBest.withUnsafeMutableBufferPointer { best in
            for b in 0..<blocks {
                let v = UnsafeRawPointer(scores + b * 8).loadUnaligned(as: SIMD8<Float>.self)
                nan .|= v .!= v
                // A block with nothing above the lowest kept maximum cannot change the list.
                if seen == k && !any(v .> SIMD8<Float>(repeating: best[0])) { continue }
                // The block's maximum, by comparisons that compile to max instructions
                // (`pointwiseMax` follows IEEE maximum and branches per lane; NaN sends
                // the caller to the plain path anyway).
                var half = v.lowHalf
                half.replace(with: v.highHalf, where: v.highHalf .> half)
                let m01 = half[0] > half[1] ? half[0] : half[1]
                let m23 = half[2] > half[3] ? half[2] : half[3]
                let m = m01 > m23 ? m01 : m23
                // `best` holds the highest maxima so far, lowest first.
                if seen < k {
                    var j = seen
                    while j > 0 && best[j - 1] > m {
                        best[j] = best[j - 1]
                        j -= 1
                    }
                    best[j] = m
                    seen += 1
                } else if m > best[0] {
                    var j = 0
                    while j + 1 < k && best[j + 1] < m {
                        best[j] = best[j + 1]
                        j += 1
                    }
                    best[j] = m
                }
            }
            return best[0]
        }
        if any(nan) { return nil }
        for i in (blocks * 8)..<n where scores[i].isNaN { return nil }
        return found
    }

    /// Writes the kept items best first to `items` and `scores`, leaving out
    /// those not above -inf (excluded items); returns how many it wrote.
    func copyBest(items: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>) -> Int {
        var written = 0
        index.withUnsafeBufferPointer { idx in
            score.withUnsafeBufferPointer { sc in
                var at = count - 1
                while at >= 0 {
                    if sc[at] > -.infinity {
                        items[written] = idx[at]
                        scores[written] = sc[at]
                        written += 1
                    }
                    at -= 1
                }
            }
        }
        return written
    }

    /// The n-th best kept item (0 = best).
    @inline(__always) func item(_ n: Int) -> (index: Int, score: Float) {
        let at = count - 1 - n
        return (Int(index[at]), score[at])
    }
}
