import Foundation

/// A fitted logistic (binary) or softmax (multinomial) classifier.
///
/// Classes are `0 ..< classCount`. With two classes there is one score vector,
/// P(class 1) = σ(w·x + b), as in scikit-learn's `coef_` of shape (1, p); with
/// more there is one score vector per class and P(k) = softmax(W·x + b)_k.
public struct LogisticModel: Sendable, Equatable, Codable {
    public var featureNames: [String]
    public var classCount: Int
    /// One row of weights per score: 1 row for two classes, `classCount` rows otherwise.
    public var coefficients: [[Double]]
    /// One intercept per score row.
    public var intercepts: [Double]

    public init(featureNames: [String], classCount: Int, coefficients: [[Double]], intercepts: [Double]) {
        precondition(classCount >= 2, "a classifier needs at least two classes")
        precondition(coefficients.count == LogisticModel.scoreCount(classCount) && intercepts.count == coefficients.count)
        precondition(coefficients.allSatisfy { $0.count == featureNames.count }, "one coefficient per feature in every row")
        self.featureNames = featureNames
        self.classCount = classCount
        self.coefficients = coefficients
        self.intercepts = intercepts
    }

    /// Number of score rows for a class count: the binary model fixes class 0's score at zero.
    public static func scoreCount(_ classCount: Int) -> Int { classCount == 2 ? 1 : classCount }

    /// Class probabilities for one example (feature values in coefficient order); they sum to 1.
    public func probabilities(_ features: [Double]) -> [Double] {
        precondition(features.count == featureNames.count, "expected \(featureNames.count) feature values")
        var scores = intercepts
        for k in 0..<scores.count {
            for j in 0..<features.count { scores[k] += coefficients[k][j] * features[j] }
        }
        return LogisticModel.softmax(scores: scores, classCount: classCount)
    }

    /// Class probabilities for every row of `x`: `result[i][k]` = P(row i is class k).
    public func probabilities(_ x: DesignMatrix) -> [[Double]] {
        precondition(x.columns == featureNames.count, "matrix has \(x.columns) columns, model has \(featureNames.count)")
        let scores = LogisticModel.scoreColumns(x, coefficients: coefficients, intercepts: intercepts)
        var row = [Double](repeating: 0, count: coefficients.count)
        return (0..<x.rows).map { i in
            for k in 0..<row.count { row[k] = scores[k * x.rows + i] }
            return LogisticModel.softmax(scores: row, classCount: classCount)
        }
    }

    /// The most probable class of every row (lowest index on ties).
    public func predictClasses(_ x: DesignMatrix) -> [Int] {
        probabilities(x).map { p in p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }! }
    }

    /// Scores column by column: `result[k·rows + i]` = b_k + W_k·x_i.
    static func scoreColumns(_ x: DesignMatrix, coefficients: [[Double]], intercepts: [Double]) -> [Double] {
        let n = x.rows
        var scores = [Double](repeating: 0, count: n * coefficients.count)
        x.values.withUnsafeBufferPointer { xs in
            scores.withUnsafeMutableBufferPointer { z in
                for k in 0..<coefficients.count {
                    let zk = z.baseAddress! + k * n
                    for i in 0..<n { zk[i] = intercepts[k] }
                    for j in 0..<x.columns where coefficients[k][j] != 0 {
                        VectorKernels.axpy(coefficients[k][j], xs.baseAddress! + j * n, zk, n)
                    }
                }
            }
        }
        return scores
    }

    /// Probabilities from score rows; with two classes the single score belongs to class 1.
    static func softmax(scores: [Double], classCount: Int) -> [Double] {
        if classCount == 2 {
            let z = scores[0]
            // σ(z) written so neither branch overflows.
            let p1 = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
            return [1 - p1, p1]
        }
        let top = scores.max()!
        var out = scores.map { exp($0 - top) }
        let sum = out.reduce(0, +)
        for k in out.indices { out[k] /= sum }
        return out
    }
}
