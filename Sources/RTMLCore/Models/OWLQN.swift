/// Orthant-wise limited-memory quasi-Newton (Andrew & Gao, "Scalable training of
/// L1-regularized log-linear models", ICML 2007): minimises f(x) + λ·Σ_{j ∈ penalised} |x_j|
/// for smooth f.
///
/// Differences from L-BFGS, all from the paper: the steepest-descent direction is
/// the pseudo-gradient (the minimum-norm subgradient); the quasi-Newton direction
/// is zeroed where it disagrees in sign with that; every trial point is projected
/// onto the orthant of the current point (coordinates that would cross zero stop
/// at zero); and the line search backtracks on an Armijo condition, since the
/// objective is not differentiable at the orthant boundaries. Curvature pairs use
/// the gradient of f alone.
struct OWLQN {
    var memory = 10
    var tolerance: Double
    var functionTolerance = 64 * Double.ulpOfOne
    var maxIterations: Int

    struct Result {
        var x: [Double]
        var value: Double
        var iterations: Int
        var converged: Bool
    }

    /// `progress`, if given, receives (iteration from 1, objective, max |pseudo-gradient|) after each accepted step.
    func minimize(
        from start: [Double], l1: Double, penalised: [Bool], progress: ((Int, Double, Double) -> Void)? = nil,
        _ smooth: ([Double], inout [Double]) -> Double
    ) -> Result {
        let dim = start.count
        var x = start
        var g = [Double](repeating: 0, count: dim)
        func total(_ point: [Double], _ smoothValue: Double) -> Double {
            var sum = smoothValue
            for j in 0..<dim where penalised[j] { sum += l1 * abs(point[j]) }
            return sum
        }
        var f = total(x, smooth(x, &g))
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        var pseudo = [Double](repeating: 0, count: dim)
        var alphas = [Double](repeating: 0, count: memory)
        var trial = x, trialG = g

        /// The minimum-norm subgradient of the whole objective at `x`, into `pseudo`.
        func pseudoGradient() {
            for j in 0..<dim {
                guard penalised[j] else { pseudo[j] = g[j]; continue }
                if x[j] > 0 { pseudo[j] = g[j] + l1 }
                else if x[j] < 0 { pseudo[j] = g[j] - l1 }
                else if g[j] + l1 < 0 { pseudo[j] = g[j] + l1 }
                else if g[j] - l1 > 0 { pseudo[j] = g[j] - l1 }
                else { pseudo[j] = 0 }
            }
        }

        for iteration in 0..<maxIterations {
            pseudoGradient()
            if pseudo.reduce(0, { max($0, abs($1)) }) <= tolerance {
                return Result(x: x, value: f, iterations: iteration, converged: true)
            }
            var d = pseudo.map { -$0 }
            for k in stride(from: s.count - 1, through: 0, by: -1) {
                let a = rho[k] * zip(s[k], d).reduce(0) { $0 + $1.0 * $1.1 }
                alphas[k] = a
                for j in 0..<dim { d[j] -= a * y[k][j] }
            }
            if let last = y.last {
                let gamma = 1 / (rho[rho.count - 1] * last.reduce(0) { $0 + $1 * $1 })
                for j in 0..<dim { d[j] *= gamma }
            }
            for k in 0..<s.count {
                let b = rho[k] * zip(y[k], d).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<dim { d[j] += (alphas[k] - b) * s[k][j] }
            }
            for j in 0..<dim where d[j] * pseudo[j] >= 0 { d[j] = 0 }  // keep descent along −pseudo only
            // Orthant to stay in: the sign of x, or of the step for coordinates at zero.
            let orthant = (0..<dim).map { j in x[j] != 0 ? (x[j] > 0 ? 1.0 : -1.0) : (pseudo[j] < 0 ? 1.0 : -1.0) }
            var step = s.isEmpty ? 1 / max(1, d.reduce(0) { $0 + $1 * $1 }.squareRoot()) : 1.0
            var accepted = false
            var newF = f
            for _ in 0..<60 {
                for j in 0..<dim {
                    let v = x[j] + step * d[j]
                    trial[j] = penalised[j] && v * orthant[j] <= 0 ? 0 : v
                }
                newF = total(trial, smooth(trial, &trialG))
                var decrease = 0.0
                for j in 0..<dim { decrease += pseudo[j] * (trial[j] - x[j]) }
                if newF.isFinite && newF <= f + 1e-4 * decrease {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            if !accepted { return Result(x: x, value: f, iterations: iteration, converged: false) }
            let sNew = (0..<dim).map { trial[$0] - x[$0] }
            let yNew = (0..<dim).map { trialG[$0] - g[$0] }
            let sy = zip(sNew, yNew).reduce(0) { $0 + $1.0 * $1.1 }
            if sy > 0 {
                if s.count == memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
                s.append(sNew); y.append(yNew); rho.append(1 / sy)
            }
            let previous = f
            x = trial
            g = trialG
            f = newF
            if let progress {
                pseudoGradient()  // recomputed at the top of the next iteration anyway
                progress(iteration + 1, f, pseudo.reduce(0) { max($0, abs($1)) })
            }
            if (previous - f) / max(abs(previous), abs(f), 1) <= functionTolerance {
                return Result(x: x, value: f, iterations: iteration + 1, converged: true)
            }
        }
        return Result(x: x, value: f, iterations: maxIterations, converged: false)
    }
}
