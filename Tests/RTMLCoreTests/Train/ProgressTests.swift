import Foundation
import Testing
@testable import RTMLCore

/// The iteration reports of every model kind, and the lines they become.
@Suite struct ProgressTests {
    /// A clock the test moves by hand, so throttling is tested without timing anything.
    final class FakeClock {
        var now = 0.0
    }

    @Test func linesAreThrottledButTheFirstAndLastAlwaysShow() {
        let clock = FakeClock()
        var lines: [String] = []
        let progress = IterationProgress(enabled: true, interval: 0.25, clock: { clock.now }, write: { lines.append($0) })
        progress.report(iteration: 1, loss: 10, [("gap", 0.5)])
        clock.now = 0.1
        progress.report(iteration: 2, loss: 9)  // too soon: held back
        clock.now = 0.3
        progress.report(iteration: 3, loss: 8)
        clock.now = 0.35
        progress.report(iteration: 4, loss: 7.5)
        progress.finish()  // iteration 4 was held back: it is the final state, so it shows
        progress.finish()  // and only once
        #expect(lines == ["  iteration 1  loss 10  gap 0.5", "  iteration 3  loss 8", "  iteration 4  loss 7.5"])
    }

    @Test func totalIsShownAndADisabledDisplayPrintsNothing() {
        var lines: [String] = []
        let shown = IterationProgress(enabled: true, total: 15, interval: 0, write: { lines.append($0) })
        shown.report(iteration: 1, loss: 1234567.0)
        shown.report(iteration: 2, loss: 0.000123456789)
        shown.finish()
        #expect(lines == ["  iteration 1/15  loss 1.23457e+06", "  iteration 2/15  loss 0.000123457"])
        let hidden = IterationProgress(enabled: false, write: { lines.append($0) })
        hidden.report(iteration: 1, loss: 1)
        hidden.finish()
        #expect(lines.count == 2)
    }

    @Test func elasticNetReportsEverySweepWithoutChangingTheFit() throws {
        let data = ElasticNetTests.problem(rows: 200, columns: 10, seed: 31)
        let x = DesignMatrix(rowMajor: data.x)
        let enet = ElasticNet(alpha: 0.05, l1Ratio: 0.6, tolerance: 1e-10, maxIterations: 10_000)
        var sweeps: [ElasticNet.Sweep] = []
        let watched = try enet.fit(x, data.y) { sweeps.append($0) }
        let plain = try enet.fit(x, data.y)
        #expect(watched.model.coefficients == plain.model.coefficients)
        #expect(watched.model.intercept == plain.model.intercept)
        #expect(sweeps.map(\.sweep) == Array(1...watched.iterations))
        // Coordinate descent minimises exactly along each coordinate: the objective never rises.
        for (a, b) in zip(sweeps, sweeps.dropFirst()) {
            #expect(b.objective <= a.objective * (1 + 1e-12), "sweep \(b.sweep): \(a.objective) -> \(b.objective)")
        }
        // The last sweep is the one whose duality gap stopped the fit (scikit-learn's scale: gap / n).
        let last = try #require(sweeps.last)
        let gap = try #require(last.dualityGap)
        #expect(abs(gap - watched.dualityGap / 200) <= 1e-15 * max(1, abs(gap)))
        #expect(last.maxRelativeChange <= 1e-10)
    }

    @Test func logisticReportsEveryIterationForBothPenalties() throws {
        let data = LogisticRegressionTests.problem(rows: 240, columns: 4, classes: 3, seed: 32)
        let x = DesignMatrix(rowMajor: data.x)
        for penalty in [LogisticRegression.Penalty.l2, .l1] {
            let logistic = LogisticRegression(c: 0.5, penalty: penalty, tolerance: 1e-8, maxIterations: 500)
            var steps: [LogisticRegression.Iteration] = []
            let watched = try logistic.fit(x, labels: data.labels) { steps.append($0) }
            let plain = try logistic.fit(x, labels: data.labels)
            #expect(watched.model.coefficients == plain.model.coefficients, "\(penalty)")
            #expect(steps.map(\.iteration) == Array(1...watched.iterations), "\(penalty)")
            // Both line searches only accept a decrease.
            for (a, b) in zip(steps, steps.dropFirst()) { #expect(b.objective <= a.objective, "\(penalty) iteration \(b.iteration)") }
            #expect(steps.last?.objective == watched.objective, "\(penalty)")
            #expect(steps.allSatisfy { $0.gradientMaxNorm >= 0 && $0.gradientMaxNorm.isFinite })
        }
    }
}
