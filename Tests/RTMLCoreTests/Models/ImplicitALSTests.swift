import Foundation
import Testing
@testable import RTMLCore

@Suite struct ImplicitALSTests {
    /// Interactions with planted low-rank structure: each user and item belongs to one
    /// of `groups` tastes, users pick mostly (85%) within their taste, skewed towards
    /// each group's first items, and one in five of each user's items is held out.
    struct Planted {
        var users: Int, items: Int
        var train: (rows: [Int], cols: [Int], weights: [Float]) = ([], [], [])
        var test: (rows: [Int], cols: [Int]) = ([], [])

        init(users: Int, items: Int, perUser: Int, groups: Int, seed: UInt64) {
            self.users = users
            self.items = items
            var rng = Xoshiro256StarStar(seed: seed)
            let groupItems = (0..<groups).map { g in Array(stride(from: g, to: items, by: groups)) }
            for u in 0..<users {
                let members = groupItems[u % groups]
                var chosen = Set<Int>()
                while chosen.count < perUser {
                    if rng.chance(0.85) {
                        let skew = rng.unit() * rng.unit()
                        chosen.insert(members[Int(skew * Double(members.count))])
                    } else {
                        chosen.insert(rng.below(items))
                    }
                }
                for item in chosen.sorted() {
                    if rng.chance(0.2) {
                        test.rows.append(u); test.cols.append(item)
                    } else {
                        train.rows.append(u); train.cols.append(item); train.weights.append(Float(1 + rng.below(4)))
                    }
                }
            }
        }

        var trainMatrix: SparseInteractions {
            SparseInteractions(rowCount: users, columnCount: items, rows: train.rows, columns: train.cols, values: train.weights)
        }
        var testMatrix: SparseInteractions {
            SparseInteractions(rowCount: users, columnCount: items, rows: test.rows, columns: test.cols,
                               values: [Float](repeating: 1, count: test.rows.count))
        }

        func recall(_ model: ImplicitALSModel, k: Int = 10) -> RankingMetrics {
            let seen = trainMatrix
            return RankingMetrics.evaluate(k: k, test: testMatrix) { user, k in
                model.recommend(user: user, count: k, excluding: Set(seen.row(user).columns.map { Int($0) })).map(\.item)
            }
        }
    }

    @Test func beatsPopularityOnPlantedStructure() throws {
        let data = Planted(users: 600, items: 300, perUser: 20, groups: 6, seed: 1)
        let train = data.trainMatrix
        let model = try ImplicitALS(factors: 16, iterations: 10, regularization: 0.1, alpha: 2, seed: 3).fit(train)
        let popularity = PopularityRecommender(training: train)
        let baseline = RankingMetrics.evaluate(k: 10, test: data.testMatrix) { user, k in
            popularity.recommend(count: k, excluding: Set(train.row(user).columns.map { Int($0) }))
        }
        let als = data.recall(model)
        #expect(als.recall > baseline.recall + 0.1, "ALS recall@10 \(als.recall) vs popularity \(baseline.recall)")
        #expect(als.ndcg > baseline.ndcg)
    }

    @Test func matchesImplicitRecall() throws {
        let data = Planted(users: 1500, items: 400, perUser: 25, groups: 8, seed: 2)
        let parameters = (factors: 16, regularization: 0.1, alpha: 2.0, iterations: 10)
        let ours = try ImplicitALS(factors: parameters.factors, iterations: parameters.iterations,
                                   regularization: parameters.regularization, alpha: parameters.alpha, seed: 7).fit(data.trainMatrix)
        guard let reference = try PythonParity.run("implicit_parity.py", input: [
            "users": data.users, "items": data.items, "rows": data.train.rows, "cols": data.train.cols,
            "weights": data.train.weights.map(Double.init), "factors": parameters.factors,
            "regularization": parameters.regularization, "alpha": parameters.alpha,
            "iterations": parameters.iterations, "seed": 7,
        ]) else { return }
        let f = Int(PythonParity.double(reference["factors"]))
        let theirs = ImplicitALSModel(factors: f, userFactors: PythonParity.doubles(reference["user_factors"]).map { Float($0) },
                                      itemFactors: PythonParity.doubles(reference["item_factors"]).map { Float($0) })
        let ourRecall = data.recall(ours).recall, theirRecall = data.recall(theirs).recall
        print("recall@10 rtml \(ourRecall) implicit \(theirRecall)")
        #expect(abs(ourRecall - theirRecall) <= 0.02, "rtml \(ourRecall) vs implicit \(theirRecall)")
        // Same objective: the training losses should be close too.
        let ourLoss = ours.loss(data.trainMatrix, regularization: parameters.regularization, alpha: parameters.alpha)
        let theirLoss = theirs.loss(data.trainMatrix, regularization: parameters.regularization, alpha: parameters.alpha)
        #expect(abs(ourLoss - theirLoss) <= 0.02 * theirLoss, "loss rtml \(ourLoss) vs implicit \(theirLoss)")
    }

    @Test func conjugateGradientConvergesToCholesky() throws {
        let data = Planted(users: 80, items: 50, perUser: 8, groups: 4, seed: 4)
        let exact = try ImplicitALS(factors: 6, iterations: 3, regularization: 0.5, alpha: 1, seed: 1, conjugateGradientSteps: nil).fit(data.trainMatrix)
        // In exact arithmetic CG solves an f-dimensional system in f steps.
        let cg = try ImplicitALS(factors: 6, iterations: 3, regularization: 0.5, alpha: 1, seed: 1, conjugateGradientSteps: 30).fit(data.trainMatrix)
        let worst = zip(exact.userFactors + exact.itemFactors, cg.userFactors + cg.itemFactors).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-3, "largest factor difference \(worst)")
    }

    @Test func exactSolvesNeverIncreaseTheLoss() throws {
        let data = Planted(users: 100, items: 60, perUser: 10, groups: 3, seed: 5)
        var losses: [Double] = []
        _ = try ImplicitALS(factors: 5, iterations: 6, regularization: 0.2, alpha: 3, seed: 2, conjugateGradientSteps: nil)
            .fit(data.trainMatrix) { iteration, loss in
                #expect(iteration == losses.count + 1)
                losses.append(loss)
            }
        #expect(losses.count == 6)
        for (a, b) in zip(losses, losses.dropFirst()) { #expect(b <= a * (1 + 1e-6), "loss went up: \(a) -> \(b)") }
    }

    @Test func lossMatchesTheSumOverAllPairs() throws {
        let data = Planted(users: 12, items: 9, perUser: 3, groups: 2, seed: 6)
        let train = data.trainMatrix
        let model = try ImplicitALS(factors: 3, iterations: 2, regularization: 0.3, alpha: 1.5, seed: 1).fit(train)
        var brute = 0.0
        for u in 0..<data.users {
            let (cols, weights) = train.row(u)
            let observed = Dictionary(uniqueKeysWithValues: zip(cols.map { Int($0) }, weights))
            for i in 0..<data.items {
                let s = Double(model.score(user: u, item: i))
                let r = Double(observed[i] ?? 0)
                let c = 1 + 1.5 * r, p = r > 0 ? 1.0 : 0.0
                brute += c * (p - s) * (p - s)
            }
        }
        brute += 0.3 * (model.userFactors + model.itemFactors).reduce(0) { $0 + Double($1) * Double($1) }
        let fast = model.loss(train, regularization: 0.3, alpha: 1.5)
        #expect(abs(fast - brute) < 1e-5 * brute, "\(fast) vs \(brute)")
    }

    @Test func threadsAndSeedsAreDeterministic() throws {
        // More than 2,048 items, so the Gram matrix is summed over several parts;
        // 10 factors, so rows are padded to 16 floats.
        let train = Planted(users: 900, items: 2500, perUser: 12, groups: 5, seed: 8).trainMatrix
        for steps in [3, nil] as [Int?] {
            let one = try ImplicitALS(factors: 10, iterations: 3, seed: 11, conjugateGradientSteps: steps, threads: 1).fit(train)
            for threads in [2, 3, 8] {
                let many = try ImplicitALS(factors: 10, iterations: 3, seed: 11, conjugateGradientSteps: steps, threads: threads).fit(train)
                // Bit for bit, not merely close.
                #expect(one == many, "\(threads) threads, cg steps \(String(describing: steps))")
            }
            let again = try ImplicitALS(factors: 10, iterations: 3, seed: 11, conjugateGradientSteps: steps, threads: 2).fit(train)
            let other = try ImplicitALS(factors: 10, iterations: 3, seed: 12, conjugateGradientSteps: steps, threads: 2).fit(train)
            #expect(one == again)
            #expect(one != other)
        }
    }

    @Test func gramMatrixMatchesTheDefinitionForAnyThreadCount() {
        // 2,601 rows: several parts, a partial last block of 256 and rows left over from groups of 4.
        var rng = Xoshiro256StarStar(seed: 3)
        let rows = 2601, f = 11
        let packed = (0..<rows * f).map { _ in Float(rng.unit() - 0.5) }
        let y = FactorMatrix(packed: packed, factors: f)
        let n = y.stride
        #expect(n == 16)
        let gram = ALSSolver.gram(y, ridge: 0.25, threads: 1)
        var worst = 0.0
        for a in 0..<n {
            for b in 0..<n {
                var exact = a == b && a < f ? 0.25 : 0
                if a < f && b < f {
                    for r in 0..<rows { exact += Double(packed[r * f + a]) * Double(packed[r * f + b]) }
                }
                worst = max(worst, abs(gram[a * n + b] - exact))
            }
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
        #expect(gram == ALSSolver.gram(y, ridge: 0.25, threads: 2))
        #expect(gram == ALSSolver.gram(y, ridge: 0.25, threads: 5))
    }

    @Test func chunksCoverEveryRowOnceAndSpreadTheWork() {
        // One very heavy row first (a popular item), then light ones.
        var rows: [Int] = [], cols: [Int] = []
        for u in 0..<50 { rows.append(0); cols.append(u) }
        for r in 1..<200 { rows.append(r); cols.append(r % 50) }
        let m = SparseInteractions(rowCount: 200, columnCount: 50, rows: rows, columns: cols, values: [Float](repeating: 1, count: rows.count))
        for count in [1, 2, 7, 16, 400] {
            let bounds = ALSSolver.balancedChunks(m, count: count, denseCost: 2)
            #expect(bounds.first == 0 && bounds.last == 200)
            #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "\(bounds)")
            #expect(bounds.count - 1 <= max(1, count))
        }
        // The heavy row is a chunk on its own when there are enough chunks.
        #expect(ALSSolver.balancedChunks(m, count: 16, denseCost: 2).prefix(2) == [0, 1])
    }

    @Test func recommendRanksByScoreAndSkipsExcluded() throws {
        let train = Planted(users: 50, items: 40, perUser: 6, groups: 2, seed: 9).trainMatrix
        let trained = try ImplicitALS(factors: 4, iterations: 2, seed: 1).fit(train)
        // A model rebuilt from the raw factor arrays (as serving loads it) scores identically.
        let model = ImplicitALSModel(factors: 4, userFactors: trained.userFactors, itemFactors: trained.itemFactors)
        let excluded: Set<Int> = [0, 5, 7]
        let top = model.recommend(user: 3, count: 10, excluding: excluded)
        let expected = (0..<40).filter { !excluded.contains($0) }
            .sorted { (model.score(user: 3, item: $0), -$0) > (model.score(user: 3, item: $1), -$1) }.prefix(10)
        #expect(top.map(\.item) == Array(expected))
        #expect(top.allSatisfy { $0.score == model.score(user: 3, item: $0.item) })
    }

    @Test func sparseMatrixMergesDuplicatesAndTransposes() {
        let m = SparseInteractions(rowCount: 3, columnCount: 4, rows: [2, 0, 2, 0, 1], columns: [3, 1, 0, 1, 2], values: [1, 2, 3, 4, 5])
        #expect(m.nonZeroCount == 4)
        #expect(Array(m.row(0).columns) == [1] && Array(m.row(0).values) == [6])
        #expect(Array(m.row(2).columns) == [0, 3] && Array(m.row(2).values) == [3, 1])
        let t = m.transposed()
        #expect(t.rowCount == 4 && t.columnCount == 3)
        #expect(Array(t.row(1).columns) == [0] && Array(t.row(3).columns) == [2])
        #expect(t.transposed() == m)
    }
}
