import Foundation
import Testing
@testable import RTMLCore

@Suite struct LogisticRegressionTests {
    /// Labels drawn from a softmax over planted linear scores, so classes overlap.
    static func problem(rows: Int, columns: Int, classes: Int, seed: UInt64) -> (x: [[Double]], labels: [Int]) {
        var data = TestData(seed: seed)
        let x = data.matrix(rows: rows, columns: columns)
        let weights = data.matrix(rows: classes, columns: columns)
        let labels = x.map { row -> Int in
            let scores = weights.map { w in zip(w, row).reduce(0.3) { $0 + $1.0 * $1.1 } }
            let top = scores.max()!
            let e = scores.map { exp($0 - top) }
            var u = data.rng.unit() * e.reduce(0, +)
            for (k, v) in e.enumerated() {
                u -= v
                if u < 0 { return k }
            }
            return classes - 1
        }
        return (x, labels)
    }

    @Test func matchesScikitLearnBinaryAndMultinomial() throws {
        let cases: [(classes: Int, c: Double, rows: Int)] = [(2, 1.0, 200), (3, 1.0, 300), (4, 0.1, 250), (3, 100.0, 150)]
        for (index, item) in cases.enumerated() {
            let data = Self.problem(rows: item.rows, columns: 5, classes: item.classes, seed: UInt64(20 + index))
            let x = DesignMatrix(rowMajor: data.x)
            let fit = try LogisticRegression(c: item.c, tolerance: 1e-10, maxIterations: 10_000).fit(x, labels: data.labels)
            guard let reference = try PythonParity.run("sklearn_parity.py", arguments: ["logistic"], input: [
                "x": data.x, "labels": data.labels, "C": item.c, "tol": 1e-10, "max_iter": 10_000,
            ]) else { return }
            let theirs = PythonParity.matrix(reference["probabilities"])
            let ours = fit.model.probabilities(x)
            var worstProbability = 0.0
            for (a, b) in zip(ours, theirs) {
                for (p, q) in zip(a, b) { worstProbability = max(worstProbability, abs(p - q)) }
            }
            var worstCoefficient = 0.0
            for (a, b) in zip(fit.model.coefficients, PythonParity.matrix(reference["coef"])) {
                for (p, q) in zip(a, b) { worstCoefficient = max(worstCoefficient, abs(p - q)) }
            }
            let theirIntercepts = PythonParity.doubles(reference["intercept"])
            let worstIntercept = zip(fit.model.intercepts, theirIntercepts).map { abs($0 - $1) }.max()!
            print("logistic parity \(item): probability \(worstProbability) coef \(worstCoefficient) intercept \(worstIntercept)")
            #expect(fit.converged)
            #expect(fit.model.coefficients.count == theirIntercepts.count)
            #expect(worstProbability <= 1e-6, "case \(item): probability difference \(worstProbability)")
            #expect(worstCoefficient <= 1e-5, "case \(item): coefficient difference \(worstCoefficient)")
            #expect(worstIntercept <= 1e-5, "case \(item): intercept difference \(worstIntercept)")
        }
    }

    @Test func gradientMatchesFiniteDifferences() {
        for classes in [2, 3] {
            let data = Self.problem(rows: 40, columns: 3, classes: classes, seed: UInt64(40 + classes))
            let objective = SoftmaxObjective(x: DesignMatrix(rowMajor: data.x), labels: data.labels, classCount: classes, c: 0.7)
            var rng = Xoshiro256StarStar(seed: 5)
            let theta = (0..<objective.parameterCount).map { _ in rng.gaussian() }
            var gradient = [Double](repeating: 0, count: theta.count)
            _ = objective.evaluate(theta, gradient: &gradient)
            var scratch = gradient
            for k in theta.indices {
                let h = 1e-6
                var plus = theta, minus = theta
                plus[k] += h
                minus[k] -= h
                let numeric = (objective.evaluate(plus, gradient: &scratch) - objective.evaluate(minus, gradient: &scratch)) / (2 * h)
                #expect(abs(numeric - gradient[k]) < 1e-7, "classes \(classes) parameter \(k): \(numeric) vs \(gradient[k])")
            }
        }
    }

    @Test func multinomialInterceptsSumToZeroAndProbabilitiesToOne() throws {
        let data = Self.problem(rows: 120, columns: 4, classes: 4, seed: 60)
        let x = DesignMatrix(rowMajor: data.x)
        let fit = try LogisticRegression(c: 2).fit(x, labels: data.labels)
        #expect(abs(fit.model.intercepts.reduce(0, +)) < 1e-9)
        for row in fit.model.probabilities(x) { #expect(abs(row.reduce(0, +) - 1) < 1e-12) }
        // The single-row path agrees with the batch path.
        #expect(fit.model.probabilities(x.row(7)) == fit.model.probabilities(x)[7])
        let accuracy = ClassificationMetrics.accuracy(predicted: fit.model.predictClasses(x), labels: data.labels)
        #expect(accuracy > 0.5, "planted signal should beat the 0.25 of guessing, got \(accuracy)")
    }

    @Test func lbfgsMinimisesRosenbrock() {
        let result = LBFGS(gradientTolerance: 1e-9, maxIterations: 500).minimize(from: [-1.2, 1]) { x, g in
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            g[0] = -2 * a - 400 * x[0] * b
            g[1] = 200 * b
            return a * a + 100 * b * b
        }
        #expect(result.converged)
        #expect(abs(result.x[0] - 1) < 1e-6 && abs(result.x[1] - 1) < 1e-6, "\(result.x)")
    }

    @Test func rejectsBadInput() {
        let x = DesignMatrix(rowMajor: [[1], [2], [3]])
        #expect(throws: RTMLError.self) { try LogisticRegression(c: 0).fit(x, labels: [0, 1, 0]) }
        #expect(throws: RTMLError.self) { try LogisticRegression().fit(x, labels: [0, 0, 0]) }
        #expect(throws: RTMLError.self) { try LogisticRegression().fit(x, labels: [0, 1, -1]) }
    }
}

@Suite struct LogisticRegressionL1Tests {
    /// Subgradient optimality of mean CE + ‖W‖₁/(Cn): for each weight with smooth
    /// gradient g, g = −λ·sign(w) when w ≠ 0 and |g| ≤ λ when w = 0; intercept gradients vanish.
    @Test func satisfiesSubgradientConditionsWithExactZeros() throws {
        for classes in [2, 3] {
            let data = LogisticRegressionTests.problem(rows: 200, columns: 8, classes: classes, seed: UInt64(70 + classes))
            let x = DesignMatrix(rowMajor: data.x)
            let c = 0.05
            let fit = try LogisticRegression(c: c, penalty: .l1, tolerance: 1e-9, maxIterations: 5000).fit(x, labels: data.labels)
            #expect(fit.converged)
            let objective = SoftmaxObjective(x: x, labels: data.labels, classCount: classes, c: .infinity)
            let stride = x.columns + 1
            var theta: [Double] = []
            for k in fit.model.coefficients.indices { theta += fit.model.coefficients[k] + [fit.model.intercepts[k]] }
            var g = [Double](repeating: 0, count: theta.count)
            _ = objective.evaluate(theta, gradient: &g)
            let lambda = 1 / (c * Double(x.rows))
            var zeros = 0
            for j in theta.indices {
                if j % stride == x.columns {
                    #expect(abs(g[j]) < 1e-7, "intercept gradient \(g[j])")
                } else if theta[j] == 0 {
                    zeros += 1
                    #expect(abs(g[j]) <= lambda + 1e-7, "zero weight \(j) but |g| = \(abs(g[j])) > λ = \(lambda)")
                } else {
                    #expect(abs(g[j] + (theta[j] > 0 ? lambda : -lambda)) < 1e-6, "weight \(j): g = \(g[j]), λ = \(lambda)")
                }
            }
            #expect(zeros > 0, "a strong L1 penalty should zero some weights")
        }
    }

    @Test func matchesScikitLearnSaga() throws {
        let data = LogisticRegressionTests.problem(rows: 150, columns: 5, classes: 3, seed: 80)
        let x = DesignMatrix(rowMajor: data.x)
        let c = 0.2
        let fit = try LogisticRegression(c: c, penalty: .l1, tolerance: 1e-10, maxIterations: 10_000).fit(x, labels: data.labels)
        guard let reference = try PythonParity.run("sklearn_parity.py", arguments: ["logistic_l1"], input: [
            "x": data.x, "labels": data.labels, "C": c, "tol": 1e-12, "max_iter": 1_000_000,
        ]) else { return }
        var worst = 0.0
        for (a, b) in zip(fit.model.probabilities(x), PythonParity.matrix(reference["probabilities"])) {
            for (p, q) in zip(a, b) { worst = max(worst, abs(p - q)) }
        }
        var worstCoefficient = 0.0
        for (a, b) in zip(fit.model.coefficients, PythonParity.matrix(reference["coef"])) {
            for (p, q) in zip(a, b) { worstCoefficient = max(worstCoefficient, abs(p - q)) }
        }
        print("logistic l1 parity: probability \(worst) coef \(worstCoefficient)")
        #expect(worst <= 1e-6, "probability difference \(worst)")
        #expect(worstCoefficient <= 1e-5, "coefficient difference \(worstCoefficient)")
    }
}
