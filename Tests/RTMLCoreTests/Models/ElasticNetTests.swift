import Foundation
import Testing
@testable import RTMLCore

@Suite struct ElasticNetTests {
    /// A regression problem y = Xβ + 3 + noise with a few non-zero β.
    static func problem(rows: Int, columns: Int, seed: UInt64) -> (x: [[Double]], y: [Double]) {
        var data = TestData(seed: seed)
        let x = data.matrix(rows: rows, columns: columns)
        let beta = (0..<columns).map { j in j % 3 == 0 ? Double(j % 7) - 3 : 0 }
        let noise = data.noise(rows, scale: 0.5)
        let y = (0..<rows).map { i in zip(x[i], beta).reduce(3.0) { $0 + $1.0 * $1.1 } + noise[i] }
        return (x, y)
    }

    /// Shapes where coordinate descent is easy to get subtly wrong.
    static func shapes() -> [(name: String, x: [[Double]], y: [Double])] {
        var shapes: [(String, [[Double]], [Double])] = []
        let tall = problem(rows: 300, columns: 12, seed: 1)
        shapes.append(("n >> p", tall.x, tall.y))
        let wide = problem(rows: 25, columns: 60, seed: 2)
        shapes.append(("p > n", wide.x, wide.y))
        var collinear = problem(rows: 120, columns: 8, seed: 3)
        for i in collinear.x.indices {
            collinear.x[i][5] = collinear.x[i][0]  // exact duplicate
            collinear.x[i][6] = 2 * collinear.x[i][1] - collinear.x[i][2]  // linear combination
        }
        shapes.append(("collinear columns", collinear.x, collinear.y))
        var constant = problem(rows: 90, columns: 6, seed: 4)
        for i in constant.x.indices {
            constant.x[i][2] = 0.1  // not exactly representable: its mean rounds
            constant.x[i][4] = -7
        }
        shapes.append(("constant columns", constant.x, constant.y))
        return shapes
    }

    static let settings: [(alpha: Double, l1Ratio: Double)] = [(0.1, 0.5), (0.02, 0.9), (0.5, 0.2)]

    @Test func matchesScikitLearnOnSeveralShapes() throws {
        for shape in Self.shapes() {
            for setting in Self.settings {
                let model = ElasticNet(alpha: setting.alpha, l1Ratio: setting.l1Ratio, tolerance: 1e-10, maxIterations: 1_000_000)
                let fit = try model.fit(DesignMatrix(rowMajor: shape.x), shape.y)
                guard let reference = try PythonParity.run("sklearn_parity.py", arguments: ["elasticnet"], input: [
                    "x": shape.x, "y": shape.y, "alpha": setting.alpha, "l1_ratio": setting.l1Ratio,
                    "tol": 1e-10, "max_iter": 1_000_000,
                ]) else { return }
                let coef = PythonParity.doubles(reference["coef"])
                let worst = zip(coef, fit.model.coefficients).map { abs($0 - $1) }.max()!
                let interceptError = abs(PythonParity.double(reference["intercept"]) - fit.model.intercept)
                print("elasticnet parity \(shape.name) \(setting): coef \(worst) intercept \(interceptError)")
                #expect(fit.converged)
                #expect(worst <= 1e-6, "\(shape.name) \(setting): max coefficient difference \(worst)")
                #expect(interceptError <= 1e-6, "\(shape.name) \(setting): intercept difference \(interceptError)")
            }
        }
    }

    /// The optimality (KKT) conditions of the scaled objective: with g_j the
    /// correlation (1/n)·X_cⱼᵀ(y_c − X_c·w) − α(1−ρ)·w_j, a non-zero w_j needs
    /// g_j = αρ·sign(w_j) and a zero one needs |g_j| ≤ αρ.
    @Test func solutionSatisfiesOptimalityConditions() throws {
        for shape in Self.shapes() {
            for setting in Self.settings {
                let x = DesignMatrix(rowMajor: shape.x)
                let fit = try ElasticNet(alpha: setting.alpha, l1Ratio: setting.l1Ratio, tolerance: 1e-12, maxIterations: 1_000_000).fit(x, shape.y)
                let prediction = fit.model.predict(x)
                let residual = zip(shape.y, prediction).map { $0 - $1 }
                #expect(abs(residual.reduce(0, +)) < 1e-8 * Double(x.rows), "intercept leaves the residual centred")
                let n = Double(x.rows)
                let l1 = setting.alpha * setting.l1Ratio, l2 = setting.alpha * (1 - setting.l1Ratio)
                for j in 0..<x.columns {
                    let column = Array(x.column(j))
                    let mean = column.reduce(0, +) / n
                    let g = zip(column, residual).reduce(0) { $0 + ($1.0 - mean) * $1.1 } / n - l2 * fit.model.coefficients[j]
                    let w = fit.model.coefficients[j]
                    if w != 0 {
                        #expect(abs(g - (w > 0 ? l1 : -l1)) < 1e-6, "\(shape.name) feature \(j): g=\(g) w=\(w)")
                    } else {
                        #expect(abs(g) <= l1 + 1e-6, "\(shape.name) feature \(j): zero weight but |g|=\(abs(g))")
                    }
                }
            }
        }
    }

    @Test func constantColumnsGetZeroWeight() throws {
        let shape = Self.shapes()[3]
        let fit = try ElasticNet(alpha: 0.01, l1Ratio: 0.5).fit(DesignMatrix(rowMajor: shape.x), shape.y)
        #expect(fit.model.coefficients[2] == 0)
        #expect(fit.model.coefficients[4] == 0)
        #expect(fit.model.coefficients[0] != 0)
    }

    @Test func largePenaltyGivesTheMean() throws {
        let data = Self.problem(rows: 50, columns: 4, seed: 9)
        let fit = try ElasticNet(alpha: 1e6, l1Ratio: 1).fit(DesignMatrix(rowMajor: data.x), data.y)
        #expect(fit.model.coefficients.allSatisfy { $0 == 0 })
        #expect(abs(fit.model.intercept - data.y.reduce(0, +) / 50) < 1e-12)
    }

    @Test func ridgeMatchesNormalEquations() throws {
        // With ρ = 0 the minimiser solves (X_cᵀX_c + nα·I)·w = X_cᵀy_c exactly.
        let data = Self.problem(rows: 80, columns: 5, seed: 11)
        let alpha = 0.3
        let x = DesignMatrix(rowMajor: data.x)
        let fit = try ElasticNet(alpha: alpha, l1Ratio: 0, tolerance: 1e-12, maxIterations: 100_000).fit(x, data.y)
        let n = x.rows, p = x.columns
        let means = (0..<p).map { j in x.column(j).reduce(0, +) / Double(n) }
        let yMean = data.y.reduce(0, +) / Double(n)
        for a in 0..<p {
            var lhs = Double(n) * alpha * fit.model.coefficients[a]
            var rhs = 0.0
            for i in 0..<n {
                let xa = x[i, a] - means[a]
                rhs += xa * (data.y[i] - yMean)
                for b in 0..<p { lhs += xa * (x[i, b] - means[b]) * fit.model.coefficients[b] }
            }
            #expect(abs(lhs - rhs) < 1e-7 * max(1, abs(rhs)), "row \(a): \(lhs) vs \(rhs)")
        }
    }

    @Test func rejectsBadParameters() {
        let x = DesignMatrix(rowMajor: [[1], [2]])
        #expect(throws: RTMLError.self) { try ElasticNet(alpha: -1).fit(x, [1, 2]) }
        #expect(throws: RTMLError.self) { try ElasticNet(l1Ratio: 1.5).fit(x, [1, 2]) }
        #expect(throws: RTMLError.self) { try ElasticNet().fit(x, [1, 2, 3]) }
    }
}
