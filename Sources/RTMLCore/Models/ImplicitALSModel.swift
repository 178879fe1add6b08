/// Fitted implicit-feedback factors: a user's preference for an item is the dot
/// product of their factor rows.
///
/// Both factor matrices are row-major, contiguous `[Float]` (`count × factors`),
/// so they can be written to and read from binary weight files unchanged.
public struct ImplicitALSModel: Sendable, Equatable {
    public let factors: Int
    public let userCount: Int
    public let itemCount: Int
    /// `userCount × factors`, row-major.
    public internal(set) var userFactors: [Float]
    /// `itemCount × factors`, row-major.
    public internal(set) var itemFactors: [Float]

    /// Wraps factors loaded from a bundle (or produced by the trainer).
    public init(factors: Int, userFactors: [Float], itemFactors: [Float]) {
        precondition(factors > 0 && userFactors.count % factors == 0 && itemFactors.count % factors == 0,
                     "factor arrays must hold whole rows of \(factors)")
        self.factors = factors
        self.userCount = userFactors.count / factors
        self.itemCount = itemFactors.count / factors
        self.userFactors = userFactors
        self.itemFactors = itemFactors
    }

    /// Predicted preference of `user` for `item`.
    public func score(user: Int, item: Int) -> Float {
        userFactors.withUnsafeBufferPointer { u in
            itemFactors.withUnsafeBufferPointer { v in
                VectorKernels.dot(u.baseAddress! + user * factors, v.baseAddress! + item * factors, factors)
            }
        }
    }

    /// Scores of every item for one user, in item order.
    public func scores(user: Int) -> [Float] {
        var out = [Float](repeating: 0, count: itemCount)
        userFactors.withUnsafeBufferPointer { u in
            itemFactors.withUnsafeBufferPointer { v in
                let x = u.baseAddress! + user * factors
                for i in 0..<itemCount { out[i] = VectorKernels.dot(x, v.baseAddress! + i * factors, factors) }
            }
        }
        return out
    }

    /// The `count` highest-scoring items for `user`, best first, skipping `excluding`
    /// (typically the items the user already interacted with). Ties go to the lower item index.
    public func recommend(user: Int, count: Int, excluding: Set<Int> = []) -> [(item: Int, score: Float)] {
        let all = scores(user: user)
        return TopK.select(count, from: all.count, excluding: excluding) { all[$0] }
            .map { (item: $0, score: all[$0]) }
    }

    /// The Hu–Koren–Volinsky objective for these factors:
    /// Σ_{u,i} c_ui·(p_ui − x_u·y_i)² + λ·(Σ‖x_u‖² + Σ‖y_i‖²), with c = 1 + α·r and
    /// p = [r > 0] over all user–item pairs, not only the observed ones.
    ///
    /// The unobserved pairs are summed in closed form, Σ_u x_uᵀ(YᵀY)x_u, then each
    /// observed pair's term replaces its unobserved one, so the cost is
    /// O(nnz·f + (users + items)·f²).
    public func loss(_ userItems: SparseInteractions, regularization: Double, alpha: Double) -> Double {
        precondition(userItems.rowCount == userCount && userItems.columnCount == itemCount, "interaction matrix shape differs from the model")
        let n = FactorMatrix.paddedWidth(factors)
        let gram = ALSSolver.gram(FactorMatrix(packed: itemFactors, factors: factors), ridge: 0, threads: 1)
        var total = 0.0
        var penalty = 0.0
        var xd = [Double](repeating: 0, count: n)
        userFactors.withUnsafeBufferPointer { u in
            itemFactors.withUnsafeBufferPointer { v in
                for user in 0..<userCount {
                    let x = u.baseAddress! + user * factors
                    for a in 0..<factors { xd[a] = Double(x[a]) }
                    var quadratic = 0.0
                    gram.withUnsafeBufferPointer { g in
                        for a in 0..<factors { quadratic += xd[a] * VectorKernels.dot(g.baseAddress! + a * n, xd, factors) }
                    }
                    total += quadratic
                    let (items, weights) = userItems.row(user)
                    for (item, weight) in zip(items, weights) where weight > 0 {
                        let s = Double(VectorKernels.dot(x, v.baseAddress! + Int(item) * factors, factors))
                        let c = 1 + alpha * Double(weight)
                        total += c * (1 - s) * (1 - s) - s * s
                    }
                }
                for k in 0..<userCount * factors { penalty += Double(u[k]) * Double(u[k]) }
                for k in 0..<itemCount * factors { penalty += Double(v[k]) * Double(v[k]) }
            }
        }
        return total + regularization * penalty
    }
}

/// Selection of the k best indices without sorting everything.
enum TopK {
    /// Indices in `0 ..< count` with the highest `score`, best first; ties to the lower index.
    static func select(_ k: Int, from count: Int, excluding: Set<Int> = [], score: (Int) -> Float) -> [Int] {
        guard k > 0 else { return [] }
        // Kept sorted worst-first so the bar to enter is `best[0]`; k is small (10–100).
        var best: [(index: Int, score: Float)] = []
        best.reserveCapacity(k + 1)
        func worse(_ a: (index: Int, score: Float), _ b: (index: Int, score: Float)) -> Bool {
            a.score < b.score || (a.score == b.score && a.index > b.index)
        }
        for i in 0..<count {
            let candidate = (index: i, score: score(i))
            if best.count == k && !worse(best[0], candidate) { continue }
            // Checked only for items good enough to enter: a hash lookup per item would dominate serving.
            if !excluding.isEmpty, excluding.contains(i) { continue }
            var position = best.firstIndex { !worse($0, candidate) } ?? best.count
            best.insert(candidate, at: position)
            if best.count > k {
                best.removeFirst()
                position -= 1
            }
        }
        return best.reversed().map(\.index)
    }
}
