import Foundation

/// A collaborative-filtering model ready to score: ALS factors, the
/// popularity ranking for users it has never seen, and each item's content
/// id and category, all from one bundle.
public struct ALSScorer: Sendable {
    public let name: String
    public let version: Int?
    public let factors: Int
    public let userCount: Int
    public let itemCount: Int
    let userFactors: [Float]
    let itemFactors: [Float]
    /// Training interactions per item (the cold-start ranking).
    let popularity: [Float]
    public let itemIds: [String?]
    public let itemCategories: [String?]
    /// A user index with an all-zero factor row had no training interactions.
    let knownUsers: [Bool]
    public let sequenceMapFingerprint: String?
    /// The item factors factor-major, for scoring eight items at once (ItemFactorsByFactor.swift).
    let byFactor: ItemFactorsByFactor
    /// `popularityScores` computed once: it is the same list for every cold-start job.
    let popularityShares: [Float]

    public init(bundle: ModelBundle, path: String, name: String, version: Int?) throws {
        guard bundle.kind == "als" else {
            throw RTMLError("\(path): a \(bundle.kind) model, not a recommender (als); use it with --rerank")
        }
        func array(_ name: String) throws -> WeightArray {
            guard let a = bundle.array(named: name), let _ = a.floats else {
                throw RTMLError("\(path): bundle has no float32 array '\(name)'")
            }
            return a
        }
        let users = try array("user_factors")
        let items = try array("item_factors")
        let popular = try array("popularity")
        guard users.shape.count == 2, items.shape.count == 2, users.shape[1] == items.shape[1], users.shape[1] > 0 else {
            throw RTMLError("\(path): user_factors \(users.shape) and item_factors \(items.shape) do not fit together")
        }
        self.name = name
        self.version = version
        factors = users.shape[1]
        userCount = users.shape[0]
        itemCount = items.shape[0]
        userFactors = users.floats!
        itemFactors = items.floats!
        popularity = popular.floats!
        guard popularity.count == itemCount else { throw RTMLError("\(path): popularity has \(popularity.count) items, factors \(itemCount)") }
        itemIds = (bundle.model["item_ids"]?.arrayItems ?? []).map(\.stringValue)
        itemCategories = (bundle.model["item_categories"]?.arrayItems ?? []).map(\.stringValue)
        guard itemIds.count == itemCount else { throw RTMLError("\(path): model.json lists \(itemIds.count) item ids for \(itemCount) items") }
        let f = factors
        knownUsers = (0..<userCount).map { u in (0..<f).contains { users.floats![u * f + $0] != 0 } }
        sequenceMapFingerprint = bundle.sequenceMapFingerprint
        byFactor = ItemFactorsByFactor(itemFactors: itemFactors, itemCount: itemCount, factors: factors)
        let top = max(popularity.max() ?? 1, 1)
        popularityShares = popularity.map { $0 / top }
    }

    /// Whether the model learned factors for this user index.
    public func knows(user: Int) -> Bool {
        user >= 0 && user < userCount && knownUsers[user]
    }

    /// Scores of every item for a known user: the dot products of the factors,
    /// eight lanes at a time (a scalar loop of float sums cannot be
    /// vectorised by the compiler: it must keep the additions in order).
    public func scores(user: Int, into out: inout [Float]) {
        let f = factors
        let lanes = f / 8 * 8
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(itemCount)
        userFactors.withUnsafeBufferPointer { u in
            itemFactors.withUnsafeBufferPointer { v in
                let row = UnsafeRawPointer(u.baseAddress! + user * f)
                for i in 0..<itemCount {
                    let item = UnsafeRawPointer(v.baseAddress! + i * f)
                    var acc = SIMD8<Float>()
                    var k = 0
                    while k < lanes {
                        // Multiply then add: `addProduct` becomes a libm fmaf call per lane
                        // on baseline x86-64, which has no FMA instruction.
                        acc += row.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                            * item.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        k += 8
                    }
                    var s = acc.sum()
                    while k < f {
                        s += row.load(fromByteOffset: k * 4, as: Float.self) * item.load(fromByteOffset: k * 4, as: Float.self)
                        k += 1
                    }
                    out.append(s)
                }
            }
        }
    }

    /// The same scores as `scores(user:into:)`, into `out` (room for
    /// `byFactor.paddedCount` floats): the serving loop's fast path.
    func writeScores(user: Int, to out: UnsafeMutablePointer<Float>) {
        userFactors.withUnsafeBufferPointer { u in
            byFactor.scores(user: u.baseAddress! + user * factors, into: out)
        }
    }

    /// Popularity as a score in [0, 1] (share of the most popular item's count).
    public func popularityScores(into out: inout [Float]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: popularityShares)
    }
}

/// A next-category classifier used to re-weight recommendations by what the
/// user's real-time features say they want now.
///
/// Re-weighting: with K categories and p(c) the model's probability of the
/// item's category given the user's features at the job's time,
/// `score' = max(score, 0) · (K · p(c))^w` (w: `PredictionServer.Options.rerankWeight`).
/// K·p(c) is 1 when the model is indifferent (p = 1/K), above 1 for the
/// categories it expects, below for the others; items without a category
/// keep their score.
public struct CategoryReranker: Sendable {
    public let name: String
    public let version: Int?
    public let model: LogisticModel
    public let inputs: ModelInputs
    public let classes: [String]

    public init(bundle: ModelBundle, path: String, name: String, version: Int?) throws {
        guard bundle.kind == "logistic" else {
            throw RTMLError("\(path): --rerank needs a logistic next-category model, this is \(bundle.kind)")
        }
        let classes = (bundle.model["classes"]?.arrayItems ?? []).compactMap(\.stringValue)
        guard classes.count >= 2 else { throw RTMLError("\(path): model.json has no classes") }
        let names = bundle.signature.inputs.compactMap(\.name)
        let inputs: ModelInputs
        do { inputs = try ModelInputs(names: names) } catch let error as RTMLError {
            throw RTMLError("\(path): its signature needs inputs this rtml cannot compute from a store: \(error.message)")
        }
        guard let weights = bundle.array(named: "coefficients")?.asDoubles else {
            throw RTMLError("\(path): bundle has no coefficients array")
        }
        let rows = LogisticModel.scoreCount(classes.count)
        let p = names.count
        guard weights.count == rows * (p + 1) else {
            throw RTMLError("\(path): coefficients hold \(weights.count) values, expected \(rows) x \(p + 1)")
        }
        let coefficients = (0..<rows).map { Array(weights[($0 * (p + 1))..<($0 * (p + 1) + p)]) }
        let intercepts = (0..<rows).map { weights[$0 * (p + 1) + p] }
        self.name = name
        self.version = version
        self.model = LogisticModel(featureNames: names, classCount: classes.count, coefficients: coefficients, intercepts: intercepts)
        self.inputs = inputs
        self.classes = classes
        flatCoefficients = coefficients.flatMap { $0 }
    }

    /// The model's coefficient rows one after the other (`probabilities(_:at:inputs:into:)`).
    private let flatCoefficients: [Double]

    /// The same probabilities as `probabilities(_:at:buffer:)`, written to
    /// `out` (one per class) without allocating: the serving loop calls it
    /// for every job. The operations are `LogisticModel.probabilities`' and
    /// its softmax's, in the same order, so the values are bit for bit the
    /// same (a test compares them).
    func probabilities(_ row: FeatureRow?, at time: Int64, inputs buffer: inout [Double], into out: UnsafeMutablePointer<Double>) {
        buffer.removeAll(keepingCapacity: true)
        inputs.encode(row, at: time, into: &buffer)
        let classCount = model.classCount
        let rows = LogisticModel.scoreCount(classCount)
        let p = buffer.count
        buffer.withUnsafeBufferPointer { x in
            flatCoefficients.withUnsafeBufferPointer { w in
                model.intercepts.withUnsafeBufferPointer { b in
                    // Scores go to `out` first (rows <= classes), then become probabilities in place.
                    for k in 0..<rows {
                        var s = b[k]
                        for j in 0..<p { s += w[k * p + j] * x[j] }
                        out[k] = s
                    }
                }
            }
        }
        if classCount == 2 {
            let z = out[0]
            // σ(z) written so neither branch overflows.
            let p1 = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
            out[0] = 1 - p1
            out[1] = p1
            return
        }
        // `Sequence.max()`: the first value no later one is above.
        var top = out[0]
        for k in 1..<classCount where top < out[k] { top = out[k] }
        var sum = 0.0
        for k in 0..<classCount {
            out[k] = exp(out[k] - top)
            sum = sum + out[k]
        }
        for k in 0..<classCount { out[k] /= sum }
    }

    /// Category name → probability for the user's features at `time`.
    public func probabilities(_ row: FeatureRow?, at time: Int64, buffer: inout [Double]) -> [Double] {
        buffer.removeAll(keepingCapacity: true)
        inputs.encode(row, at: time, into: &buffer)
        return model.probabilities(buffer)
    }
}
