import Foundation
@testable import RTMLCore
import Testing

/// The serving loop's fast paths against the code they replace: the same
/// scores bit for bit, the same top k, the same push line byte for byte.
@Suite struct ServingKernelTests {
    /// An ALS scorer over random factors (a few exactly zero, some large).
    static func scorer(users: Int, items: Int, factors: Int, seed: UInt64, name: String = "recs", version: Int? = 3,
                       itemIds: [String?]? = nil) throws -> ALSScorer {
        var rng = Xoshiro256StarStar(seed: seed)
        func value() -> Float {
            rng.chance(0.05) ? 0 : Float(rng.uniform(-1, 1) * (rng.chance(0.1) ? 1000 : 1))
        }
        let ids = itemIds ?? (0..<items).map { "c\($0)" }
        let bundle = ModelBundle(
            kind: "als", signature: ModelSignature(inputs: [], outputs: []),
            model: .object([("item_ids", .array(ids.map { $0.map(JSONValue.string) ?? .null }))]),
            arrays: [
                WeightArray(name: "user_factors", shape: [users, factors], float32: (0..<users * factors).map { _ in value() }),
                WeightArray(name: "item_factors", shape: [items, factors], float32: (0..<items * factors).map { _ in value() }),
                WeightArray(name: "popularity", shape: [items], float32: (0..<items).map { _ in Float(rng.below(50)) }),
            ])
        return try ALSScorer(bundle: bundle, path: "test", name: name, version: version)
    }

    @Test(arguments: [1, 3, 7, 8, 9, 16, 31, 32, 33, 64])
    func factorMajorScoresAreBitForBitTheItemByItemLoop(factors: Int) throws {
        for items in [1, 5, 16, 17, 300] {
            let s = try Self.scorer(users: 6, items: items, factors: factors, seed: UInt64(factors * 1000 + items))
            var reference: [Float] = []
            let fast = UnsafeMutablePointer<Float>.allocate(capacity: s.byFactor.paddedCount)
            defer { fast.deallocate() }
            for user in 0..<6 {
                s.scores(user: user, into: &reference)
                s.writeScores(user: user, to: fast)
                for i in 0..<items {
                    #expect(reference[i].bitPattern == fast[i].bitPattern, "factors \(factors) items \(items) user \(user) item \(i)")
                }
            }
        }
    }

    @Test func topScoresSelectsWhatTopKSelects() {
        var rng = Xoshiro256StarStar(seed: 7)
        var top = TopScores()
        for round in 0..<400 {
            let n = [0, 1, 7, 8, 9, 24, 300][round % 7]
            // Few distinct values (ties), -inf (excluded items), now and then NaN.
            var scores = (0..<n).map { _ in Float(rng.below(12)) - 4 }
            for i in scores.indices where rng.chance(0.1) { scores[i] = -.infinity }
            if round % 5 == 0, n > 0 { scores[rng.below(n)] = .nan }
            if round % 3 == 0 { scores.sort() }  // rising scores: every item enters the list
            for k in [1, 3, 10, 50, 400] {
                let expected = TopK.select(k, from: n) { scores[$0] }
                // One spare element: an empty list still has an address.
                (scores + [0]).withUnsafeBufferPointer { top.select(k, from: $0.baseAddress!, count: n) }
                let got = (0..<top.count).map { top.item($0).index }
                #expect(got == expected, "round \(round) k \(k): \(scores)")
            }
        }
    }

    @Test func pushLinesFromABatchAreWhatPredictionWrites() throws {
        let ids: [String?] = ["c0", "c\"1", nil, "c\u{e9}3", "c4", "c5"]
        for version in [Optional(3), nil] {
            for classes in [nil, ["sleep", "fo\"cus"]] {
                let scorer = try Self.scorer(users: 2, items: ids.count, factors: 4, seed: 3, name: "re\\cs", version: version, itemIds: ids)
                let batch = ServedBatch()
                batch.reset(jobs: 3, k: 4, classCount: classes?.count ?? 0)
                let lists: [[(Int32, Float)]] = [[(0, 0.87), (1, -1.00004), (3, 12)], [], [(5, 1e13), (4, .nan), (0, 0.00005), (1, -0.00004)]]
                for (j, list) in lists.enumerated() {
                    batch.itemCount[j] = Int32(list.count)
                    for (n, entry) in list.enumerated() {
                        batch.item[j * 4 + n] = entry.0
                        batch.score[j * 4 + n] = entry.1
                    }
                    batch.coldStart[j] = j == 1
                    batch.predictedAt[j] = [1_795_680_000_123, 1_795_680_000_123, 1_795_680_000_999][j]
                    for c in 0..<(classes?.count ?? 0) { batch.context[j * 2 + c] = [0.005, 0.995][c] }
                }
                var jobs = [
                    PredictionJob(jobId: "j-1", userId: "u\"42", eventTime: 0, eventTimeText: "2026-11-26T08:00:00Z"),
                    PredictionJob(jobId: "j\n2", userId: "u7", eventTime: 5, eventTimeText: nil),
                    PredictionJob(jobId: "j-3", userId: "u8", eventTime: 6, eventTimeText: "2026-11-26T08:00:00.006Z"),
                ]
                jobs[2].replayStamp = Array(#","replaySeq":12,"replayedAt":"2026-11-26T08:00:00.000001Z""#.utf8)
                var formatter = PushLineFormatter(scorer: scorer, classes: classes)
                for j in jobs.indices {
                    var fast: [UInt8] = []
                    formatter.line(j, job: jobs[j], batch: batch, into: &fast)
                    var reference: [UInt8] = []
                    batch.prediction(j, job: jobs[j], scorer: scorer, classes: classes).line(into: &reference)
                    #expect(String(decoding: fast, as: UTF8.self) == String(decoding: reference, as: UTF8.self))
                }
            }
        }
    }

    @Test(arguments: [2, 5])
    func rerankProbabilitiesAreBitForBitTheModels(classCount: Int) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(classCount))
        let names = ModelInputs.allNames
        let rows = LogisticModel.scoreCount(classCount)
        let bundle = ModelBundle(
            kind: "logistic", signature: ModelSignature(inputs: names.map { .init($0, .double) }, outputs: []),
            model: .object([("classes", .array((0..<classCount).map { .string("c\($0)") }))]),
            arrays: [WeightArray(name: "coefficients", shape: [rows, names.count + 1],
                                 float64: (0..<rows * (names.count + 1)).map { _ in rng.uniform(-3, 3) })])
        let reranker = try CategoryReranker(bundle: bundle, path: "test", name: "nextcat", version: 1)
        var buffer: [Double] = []
        let fast = UnsafeMutablePointer<Double>.allocate(capacity: classCount)
        defer { fast.deallocate() }
        for round in 0..<300 {
            let values: [FeatureValue] = FeatureSchema.columns.map { column in
                if rng.chance(0.1) { return .null }
                switch column.type {
                case .integer: return .integer(Int64(rng.below(40)))
                case .real: return .real(rng.uniform(-50, 200))
                case .text: return .text(KnownEvent.allCases[rng.below(KnownEvent.allCases.count)].rawValue)
                case .vector: return .null
                }
            }
            let time = 1_795_680_000_000 + Int64(rng.below(86_400_000))
            let row = round % 10 == 0 ? nil : FeatureRow(userId: "u", eventTs: 0, updatedAt: 0, values: values)
            let reference = reranker.model.probabilities(reranker.inputs.encode(row, at: time))
            reranker.probabilities(row, at: time, inputs: &buffer, into: fast)
            for c in 0..<classCount { #expect(reference[c].bitPattern == fast[c].bitPattern, "round \(round) class \(c)") }
        }
    }
}
