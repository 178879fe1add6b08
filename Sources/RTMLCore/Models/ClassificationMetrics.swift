import Foundation

/// Evaluation metrics for classifiers and regressors.
public enum ClassificationMetrics {
    /// Mean negative log-likelihood of the true class: −(1/n)·Σᵢ log P(yᵢ).
    ///
    /// Probabilities are clipped to [ε, 1 − ε] with ε = machine epsilon (as
    /// scikit-learn's `log_loss` does for float64), so a confident wrong answer
    /// costs about 36 instead of infinity.
    public static func logLoss(probabilities: [[Double]], labels: [Int]) -> Double {
        precondition(probabilities.count == labels.count && !labels.isEmpty, "one probability row per label")
        let eps = Double.ulpOfOne
        var sum = 0.0
        for (row, y) in zip(probabilities, labels) { sum -= log(min(max(row[y], eps), 1 - eps)) }
        return sum / Double(labels.count)
    }

    /// Share of predictions equal to the label.
    public static func accuracy(predicted: [Int], labels: [Int]) -> Double {
        precondition(predicted.count == labels.count && !labels.isEmpty, "one prediction per label")
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Area under the ROC curve of `scores` for the positives, by the Mann–Whitney
    /// statistic: (Σ ranks of positives − n₊(n₊ + 1)/2) / (n₊·n₋), where tied scores
    /// all get the average of the ranks they span (so a tie counts one half).
    /// Nil when either class is empty.
    public static func auc(scores: [Double], positives: [Bool]) -> Double? {
        precondition(scores.count == positives.count, "one score per example")
        let positiveCount = positives.filter { $0 }.count
        let negativeCount = positives.count - positiveCount
        guard positiveCount > 0, negativeCount > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2 + 1  // ranks are 1-based
            for k in start...end where positives[order[k]] { rankSum += averageRank }
            start = end + 1
        }
        let p = Double(positiveCount), q = Double(negativeCount)
        return (rankSum - p * (p + 1) / 2) / (p * q)
    }

    /// One-vs-rest macro AUC: the unweighted mean over classes k of the AUC of P(k)
    /// separating class k from the rest (scikit-learn's `roc_auc_score(multi_class="ovr",
    /// average="macro")`). Classes absent from `labels`, or making up all of them, are
    /// left out of the mean; nil if none remains.
    public static func macroAUC(probabilities: [[Double]], labels: [Int]) -> Double? {
        precondition(probabilities.count == labels.count, "one probability row per label")
        guard let classCount = probabilities.first?.count else { return nil }
        var sum = 0.0, counted = 0
        for k in 0..<classCount {
            if let value = auc(scores: probabilities.map { $0[k] }, positives: labels.map { $0 == k }) {
                sum += value
                counted += 1
            }
        }
        return counted == 0 ? nil : sum / Double(counted)
    }
}

/// Metrics for real-valued predictions.
public enum RegressionMetrics {
    /// √((1/n)·Σ (ŷᵢ − yᵢ)²).
    public static func rmse(predicted: [Double], actual: [Double]) -> Double {
        precondition(predicted.count == actual.count && !actual.isEmpty, "one prediction per target")
        var sum = 0.0
        for (p, a) in zip(predicted, actual) { sum += (p - a) * (p - a) }
        return (sum / Double(actual.count)).squareRoot()
    }

    /// Coefficient of determination 1 − Σ(yᵢ − ŷᵢ)² / Σ(yᵢ − ȳ)².
    ///
    /// For a constant target (zero denominator) it is 1 when every prediction is
    /// exact and 0 otherwise, as in scikit-learn's `r2_score`.
    public static func r2(predicted: [Double], actual: [Double]) -> Double {
        precondition(predicted.count == actual.count && !actual.isEmpty, "one prediction per target")
        let mean = actual.reduce(0, +) / Double(actual.count)
        var residual = 0.0, total = 0.0
        for (p, a) in zip(predicted, actual) {
            residual += (a - p) * (a - p)
            total += (a - mean) * (a - mean)
        }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }
}
