import Foundation
import Testing
@testable import RTMLCore

@Suite struct MetricsTests {
    /// Probabilities with many ties (rounded to tenths) and labels loosely following them.
    static func classification(rows: Int, classes: Int, seed: UInt64) -> (probabilities: [[Double]], labels: [Int]) {
        var rng = Xoshiro256StarStar(seed: seed)
        var probabilities: [[Double]] = [], labels: [Int] = []
        for _ in 0..<rows {
            let raw = (0..<classes).map { _ in (rng.unit() * 10).rounded() + 0.5 }
            let sum = raw.reduce(0, +)
            probabilities.append(raw.map { $0 / sum })
            labels.append(rng.chance(0.6) ? raw.indices.max { raw[$0] < raw[$1] }! : rng.below(classes))
        }
        return (probabilities, labels)
    }

    @Test func aucEqualsPairwiseCountWithTiesAsHalf() {
        let data = Self.classification(rows: 150, classes: 3, seed: 1)
        for k in 0..<3 {
            let scores = data.probabilities.map { $0[k] }
            let positives = data.labels.map { $0 == k }
            var wins = 0.0, pairs = 0.0
            for i in scores.indices where positives[i] {
                for j in scores.indices where !positives[j] {
                    pairs += 1
                    wins += scores[i] > scores[j] ? 1 : (scores[i] == scores[j] ? 0.5 : 0)
                }
            }
            let auc = ClassificationMetrics.auc(scores: scores, positives: positives)!
            #expect(abs(auc - wins / pairs) < 1e-12)
        }
        #expect(ClassificationMetrics.auc(scores: [0.1, 0.2], positives: [true, true]) == nil)
    }

    @Test func matchesScikitLearnLogLossAndMacroAUC() throws {
        let data = Self.classification(rows: 200, classes: 4, seed: 2)
        guard let reference = try PythonParity.run("sklearn_parity.py", arguments: ["metrics"], input: [
            "probabilities": data.probabilities, "labels": data.labels,
        ]) else { return }
        let logLoss = ClassificationMetrics.logLoss(probabilities: data.probabilities, labels: data.labels)
        let auc = ClassificationMetrics.macroAUC(probabilities: data.probabilities, labels: data.labels)!
        #expect(abs(logLoss - PythonParity.double(reference["log_loss"])) < 1e-12)
        #expect(abs(auc - PythonParity.double(reference["macro_auc"])) < 1e-12)
    }

    @Test func logLossClipsCertainMistakes() {
        let loss = ClassificationMetrics.logLoss(probabilities: [[1, 0], [0.5, 0.5]], labels: [1, 0])
        #expect(loss.isFinite)
        #expect(abs(loss - (-log(Double.ulpOfOne) - log(0.5)) / 2) < 1e-12)
    }

    @Test func regressionMetricsFollowTheirDefinitions() {
        let actual = [1.0, 2, 4, 7]
        let mean = actual.reduce(0, +) / 4
        #expect(RegressionMetrics.r2(predicted: actual, actual: actual) == 1)
        #expect(abs(RegressionMetrics.r2(predicted: [Double](repeating: mean, count: 4), actual: actual)) < 1e-15)
        #expect(RegressionMetrics.rmse(predicted: actual.map { $0 + 0.5 }, actual: actual) == 0.5)
        #expect(RegressionMetrics.r2(predicted: [3, 3], actual: [3, 3]) == 1)
        #expect(RegressionMetrics.r2(predicted: [3, 4], actual: [3, 3]) == 0)
    }

    @Test func rankingMetricsForOneUser() {
        // Hits at ranks 1 and 3 of 3 with two relevant items.
        let m = RankingMetrics.user(recommended: [10, 11, 12], relevant: [10, 12], k: 3)
        #expect(m.precision == 2.0 / 3)
        #expect(m.recall == 1)
        #expect(abs(m.ndcg - (1 + 1 / log2(4.0)) / (1 + 1 / log2(3.0))) < 1e-15)
        #expect(abs(m.map - (1 + 2.0 / 3) / 2) < 1e-15)
        // More relevant items than k: a list of only hits is perfect.
        let full = RankingMetrics.user(recommended: [1, 2], relevant: [1, 2, 3, 4], k: 2)
        #expect(full.recall == 1 && full.ndcg == 1 && full.map == 1 && full.precision == 1)
        let none = RankingMetrics.user(recommended: [5, 6], relevant: [1], k: 2)
        #expect(none.recall == 0 && none.ndcg == 0 && none.map == 0)
    }

    @Test func evaluateAveragesOverUsersWithHeldOutItems() {
        let test = SparseInteractions(rowCount: 3, columnCount: 5, rows: [0, 2], columns: [1, 4], values: [1, 1])
        let m = RankingMetrics.evaluate(k: 2, test: test) { user, _ in user == 0 ? [1, 3] : [0, 3] }
        #expect(m.users == 2)
        #expect(m.recall == 0.5)
        #expect(m.precision == 0.25)
    }

    @Test func popularityRanksByTrainingCount() {
        let train = SparseInteractions(rowCount: 4, columnCount: 4, rows: [0, 1, 2, 0, 1, 3], columns: [2, 2, 2, 1, 1, 3], values: [1, 1, 1, 9, 9, 1])
        let popular = PopularityRecommender(training: train)
        #expect(popular.counts == [0, 2, 3, 1])
        #expect(popular.recommend(count: 3) == [2, 1, 3])
        #expect(popular.recommend(count: 3, excluding: [1]) == [2, 3, 0])
    }
}
