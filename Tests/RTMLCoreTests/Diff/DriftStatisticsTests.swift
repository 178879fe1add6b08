import Foundation
import Testing
@testable import RTMLCore

@Suite struct DriftStatisticsTests {
    @Test func identicalSamplesHaveNoDrift() {
        let values = (0..<1000).map { Double($0 % 37) * 0.5 }
        let s = NumericDriftAccumulator.of(values, values)
        #expect(s.ks == 0)
        #expect(s.psi == 0)
    }

    @Test func disjointSamplesHaveKSOne() {
        let s = NumericDriftAccumulator.of([1, 2, 3], [10, 11])
        #expect(s.ks == 1)
    }

    @Test func ksIsTheLargestGapBetweenTheDistributionFunctions() {
        // F_A after 2: 2/4, F_B after 2: 0/2 -> 0.5; after 3: 3/4 vs 1/2 -> 0.25.
        let s = NumericDriftAccumulator.of([1, 2, 3, 4], [3, 5])
        #expect(abs((s.ks ?? -1) - 0.5) < 1e-12)
    }

    @Test func psiUsesDecilesOfAWithEpsilonForEmptyBins() {
        // A = 1...10: cuts at 1...9, ten bins of 0.1. B all in the top bin.
        let a = (1...10).map(Double.init)
        let b = Array(repeating: 10.0, count: 10)
        let s = NumericDriftAccumulator.of(a, b)
        #expect(s.bins == 10)
        let eps = NumericDriftAccumulator.epsilon
        let expected = 9 * (eps - 0.1) * log(eps / 0.1) + (1 - 0.1) * log(1 / 0.1)
        #expect(abs((s.psi ?? 0) - expected) < 1e-9)
    }

    @Test func equalQuantilesMergeIntoOneBin() {
        // 90% zeros: the first nine cut points are all 0, so two bins remain.
        let a = Array(repeating: 0.0, count: 90) + (1...10).map(Double.init)
        let s = NumericDriftAccumulator.of(a, a)
        #expect(s.bins == 2)
        #expect(s.psi == 0)
    }

    @Test func nullsFormTheirOwnBin() {
        let a = (1...10).map(Double.init)
        let same = NumericDriftAccumulator.of(a, a, nullsA: 5, nullsB: 5)
        #expect(same.bins == 11)
        #expect(same.psi == 0)
        let more = NumericDriftAccumulator.of(a, a, nullsA: 0, nullsB: 10)
        #expect((more.psi ?? 0) > 1)
    }

    @Test func categoricalPSIComparesCategoryShares() {
        var a: [String: Int]? = [:], b: [String: Int]? = [:]
        for v in ["search", "search", "app.open", "biometric"] { CategoricalDrift.count(v, into: &a) }
        for v in ["search", "search", "app.open", "biometric"] { CategoricalDrift.count(v, into: &b) }
        #expect(CategoricalDrift.psi(a, b).0 == 0)
        CategoricalDrift.count(nil, into: &b)
        #expect((CategoricalDrift.psi(a, b).0 ?? 0) > 0)
        #expect(CategoricalDrift.psi(a, b).1 == 4)
    }
}
