/// Limited-memory BFGS minimisation of a smooth function (Nocedal & Wright,
/// "Numerical Optimization", 2nd ed., Algorithm 7.5 with the two-loop recursion 7.4).
///
/// Each step length satisfies the strong Wolfe conditions (Algorithms 3.5 and
/// 3.6, cubic interpolation in the zoom phase), which keeps sᵀy > 0 so the
/// inverse-Hessian approximation stays positive definite.
public struct LBFGS: Sendable {
    /// Number of correction pairs kept (scipy's `maxcor` default is 10).
    public var memory: Int
    /// Stop when max |∂f/∂xᵢ| ≤ this (scipy's `gtol`).
    public var gradientTolerance: Double
    /// Stop when the relative decrease (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ this
    /// (scipy's `ftol`; scikit-learn passes 64·machine epsilon).
    public var functionTolerance: Double
    /// Upper bound on iterations (one line search each).
    public var maxIterations: Int
    /// Upper bound on function evaluations within one line search.
    public var maxLineSearchSteps: Int

    public init(
        memory: Int = 10, gradientTolerance: Double = 1e-5, functionTolerance: Double = 64 * Double.ulpOfOne,
        maxIterations: Int = 1000, maxLineSearchSteps: Int = 50
    ) {
        self.memory = memory
        self.gradientTolerance = gradientTolerance
        self.functionTolerance = functionTolerance
        self.maxIterations = maxIterations
        self.maxLineSearchSteps = maxLineSearchSteps
    }

    /// Why ``minimize(from:_:)`` stopped.
    public enum Stop: Sendable, Equatable {
        case gradientTolerance, functionTolerance, maxIterations, lineSearchFailed
    }

    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        /// max |∂f/∂xᵢ| at `x`.
        public var gradientMaxNorm: Double
        public var iterations: Int
        public var evaluations: Int
        public var stop: Stop
        /// True when the gradient or function-decrease tolerance was met.
        public var converged: Bool { stop == .gradientTolerance || stop == .functionTolerance }
    }

    /// Minimises `objective`, which returns f(x) and writes ∇f(x) into its second argument.
    ///
    /// `progress`, if given, receives (iteration from 1, f, max |∂f/∂xᵢ|) after each accepted step.
    public func minimize(
        from start: [Double], progress: ((Int, Double, Double) -> Void)? = nil, _ objective: ([Double], inout [Double]) -> Double
    ) -> Result {
        let dim = start.count
        var x = start
        var g = [Double](repeating: 0, count: dim)
        var f = objective(x, &g)
        var evaluations = 1
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rhoHistory: [Double] = []
        var direction = [Double](repeating: 0, count: dim)
        var alphas = [Double](repeating: 0, count: memory)
        var search = WolfeLineSearch(dimension: dim, maxSteps: maxLineSearchSteps)

        for iteration in 0..<maxIterations {
            let gMax = g.reduce(0) { max($0, abs($1)) }
            if gMax <= gradientTolerance {
                return Result(x: x, value: f, gradientMaxNorm: gMax, iterations: iteration, evaluations: evaluations, stop: .gradientTolerance)
            }
            // Two-loop recursion: direction = −H·g.
            for i in 0..<dim { direction[i] = -g[i] }
            let count = sHistory.count
            for k in stride(from: count - 1, through: 0, by: -1) {
                let a = rhoHistory[k] * dot(sHistory[k], direction)
                alphas[k] = a
                axpy(-a, yHistory[k], &direction)
            }
            if count > 0 {
                // Scale by sᵀy / yᵀy of the newest pair (Nocedal & Wright eq. 7.20).
                let gamma = 1 / (rhoHistory[count - 1] * dot(yHistory[count - 1], yHistory[count - 1]))
                for i in 0..<dim { direction[i] *= gamma }
            }
            for k in 0..<count {
                let b = rhoHistory[k] * dot(yHistory[k], direction)
                axpy(alphas[k] - b, sHistory[k], &direction)
            }
            var slope = dot(g, direction)
            if slope >= 0 {
                // Curvature information went stale (rounding); restart from steepest descent.
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                for i in 0..<dim { direction[i] = -g[i] }
                slope = dot(g, direction)
            }
            // The first step has no curvature scale yet: take a unit-length step.
            let initialStep = sHistory.isEmpty ? min(1, 1 / dot(g, g).squareRoot()) : 1
            guard let accepted = search.search(x: x, f: f, g: g, direction: direction, slope: slope, initialStep: initialStep, objective) else {
                evaluations += search.evaluations
                return Result(x: x, value: f, gradientMaxNorm: gMax, iterations: iteration, evaluations: evaluations, stop: .lineSearchFailed)
            }
            evaluations += search.evaluations
            var s = [Double](repeating: 0, count: dim), y = s
            for i in 0..<dim {
                s[i] = search.bestX[i] - x[i]
                y[i] = search.bestG[i] - g[i]
            }
            let sy = dot(s, y)
            let previous = f
            x = search.bestX
            g = search.bestG
            f = accepted
            progress?(iteration + 1, f, g.reduce(0) { max($0, abs($1)) })
            if sy > 0 {
                if sHistory.count == memory {
                    sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst()
                }
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
            }
            if (previous - f) / max(abs(previous), abs(f), 1) <= functionTolerance {
                let gNew = g.reduce(0) { max($0, abs($1)) }
                let stop: Stop = gNew <= gradientTolerance ? .gradientTolerance : .functionTolerance
                return Result(x: x, value: f, gradientMaxNorm: gNew, iterations: iteration + 1, evaluations: evaluations, stop: stop)
            }
        }
        let gMax = g.reduce(0) { max($0, abs($1)) }
        let stop: Stop = gMax <= gradientTolerance ? .gradientTolerance : .maxIterations
        return Result(x: x, value: f, gradientMaxNorm: gMax, iterations: maxIterations, evaluations: evaluations, stop: stop)
    }
}

@inline(__always)
fileprivate func dot(_ a: [Double], _ b: [Double]) -> Double {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in VectorKernels.dot(pa.baseAddress!, pb.baseAddress!, pa.count) } }
}

@inline(__always)
fileprivate func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
    x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in VectorKernels.axpy(alpha, px.baseAddress!, py.baseAddress!, px.count) } }
}

/// A step length meeting the strong Wolfe conditions
/// f(x + a·d) ≤ f(x) + c₁·a·gᵀd and |∇f(x + a·d)ᵀd| ≤ c₂·|gᵀd| (c₁ = 10⁻⁴, c₂ = 0.9).
struct WolfeLineSearch {
    let c1 = 1e-4
    let c2 = 0.9
    let maxSteps: Int
    var trialX: [Double]
    var trialG: [Double]
    /// The accepted point and its gradient.
    var bestX: [Double]
    var bestG: [Double]
    var evaluations = 0

    init(dimension: Int, maxSteps: Int) {
        self.maxSteps = maxSteps
        trialX = [Double](repeating: 0, count: dimension)
        trialG = trialX
        bestX = trialX
        bestG = trialX
    }

    /// One evaluated point on the search line: step, value, directional derivative.
    struct Point { var a: Double; var f: Double; var d: Double }

    /// Returns f at the accepted step (point in `bestX`, gradient in `bestG`), or nil.
    mutating func search(
        x: [Double], f f0: Double, g: [Double], direction: [Double], slope d0: Double, initialStep: Double,
        _ objective: ([Double], inout [Double]) -> Double
    ) -> Double? {
        evaluations = 0
        func evaluate(_ a: Double) -> Point {
            for i in 0..<x.count { trialX[i] = x[i] + a * direction[i] }
            let f = objective(trialX, &trialG)
            evaluations += 1
            return Point(a: a, f: f, d: dot(trialG, direction))
        }
        func accept(_ p: Point) -> Double {
            swap(&bestX, &trialX)
            swap(&bestG, &trialG)
            return p.f
        }
        var previous = Point(a: 0, f: f0, d: d0)
        var a = initialStep
        var lo: Point, hi: Point
        var step = 0
        while true {
            if step == maxSteps { return nil }
            step += 1
            let p = evaluate(a)
            if !p.f.isFinite {
                a = previous.a + 0.5 * (a - previous.a)  // overflow: back off towards the last good step
                continue
            }
            if p.f > f0 + c1 * a * d0 || (step > 1 && p.f >= previous.f) {
                lo = previous; hi = p
                break
            }
            if abs(p.d) <= -c2 * d0 { return accept(p) }
            if p.d >= 0 {
                lo = p; hi = previous
                break
            }
            previous = p
            a *= 2
        }
        // Zoom: the interval between lo and hi contains a point meeting both conditions.
        while step < maxSteps {
            step += 1
            let a = Self.interpolate(lo, hi)
            let p = evaluate(a)
            if p.f > f0 + c1 * a * d0 || p.f >= lo.f {
                hi = p
            } else {
                if abs(p.d) <= -c2 * d0 { return accept(p) }
                if p.d * (hi.a - lo.a) >= 0 { hi = lo }
                lo = p
            }
            if abs(hi.a - lo.a) <= 1e-16 * max(1, abs(lo.a)) { break }
        }
        // Out of steps: accept the best point found if it decreased f enough.
        if lo.a > 0 && lo.f <= f0 + c1 * lo.a * d0 {
            _ = evaluate(lo.a)
            return accept(lo)
        }
        return nil
    }

    /// Minimiser of the cubic through two points with their slopes, kept inside the
    /// middle 80% of the interval; bisection when the cubic has no minimiser there.
    static func interpolate(_ p: Point, _ q: Point) -> Double {
        let left = min(p.a, q.a), right = max(p.a, q.a), width = right - left
        let d1 = p.d + q.d - 3 * (p.f - q.f) / (p.a - q.a)
        let disc = d1 * d1 - p.d * q.d
        var a = left + width / 2
        if disc >= 0 {
            let d2 = (q.a > p.a ? 1.0 : -1.0) * disc.squareRoot()
            let denom = q.d - p.d + 2 * d2
            if denom != 0 {
                let candidate = q.a - (q.a - p.a) * (q.d + d2 - d1) / denom
                if candidate.isFinite { a = candidate }
            }
        }
        return min(max(a, left + 0.1 * width), right - 0.1 * width)
    }
}
