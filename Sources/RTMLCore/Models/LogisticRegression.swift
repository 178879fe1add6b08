import Foundation

/// L2-penalised logistic regression, binary or multinomial, fitted with ``LBFGS``.
///
/// Minimises scikit-learn's `LogisticRegression(penalty="l2", C=c, solver="lbfgs")`
/// objective
///
///     C·Σᵢ CE(yᵢ, softmax(W·xᵢ + b)) + ½‖W‖²     (intercepts b not penalised)
///
/// With two classes there is one weight vector (binary logistic loss), with more
/// one vector per class (the over-parameterised softmax, made unique by the
/// penalty), as in scikit-learn. The solver works on the objective divided by
/// C·n, the mean cross-entropy plus ‖W‖²/(2Cn), which has the same minimiser;
/// `tolerance` bounds max |gradient| of that mean form, like scikit-learn's
/// `tol`. Starting from zero keeps the multinomial intercepts summing to zero,
/// because every gradient with respect to them does.
///
/// With `penalty = .l1` the objective is C·Σᵢ CE + ‖W‖₁ instead (scikit-learn's
/// `penalty="l1"` with the saga solver), minimised by ``OWLQN``; `tolerance` then
/// bounds the pseudo-gradient, and many weights come out exactly zero.
public struct LogisticRegression: Sendable, Equatable {
    /// Which norm of the weights is penalised.
    public enum Penalty: String, Sendable, Codable {
        case l2, l1
    }

    /// Inverse regularisation strength (scikit-learn's `C`); larger means a weaker penalty.
    public var c: Double
    public var penalty: Penalty
    /// Gradient tolerance on the mean objective.
    public var tolerance: Double
    /// Upper bound on L-BFGS iterations.
    public var maxIterations: Int

    public init(c: Double = 1.0, penalty: Penalty = .l2, tolerance: Double = 1e-4, maxIterations: Int = 1000) {
        self.c = c
        self.penalty = penalty
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    public struct Fit: Sendable {
        public var model: LogisticModel
        /// Final value of the mean objective.
        public var objective: Double
        public var iterations: Int
        public var converged: Bool
    }

    /// What the solver reports after each iteration, for progress display.
    public struct Iteration: Sendable, Equatable {
        /// Iterations done, from 1.
        public var iteration: Int
        /// The mean objective: mean cross-entropy plus the penalty divided by C·n.
        public var objective: Double
        /// max |gradient| of that objective (with `.l1`, of its pseudo-gradient): the stopping test's number.
        public var gradientMaxNorm: Double
    }

    public func validate() throws {
        guard c > 0, c.isFinite else { throw RTMLError.usage("C must be a finite number > 0, got \(c)") }
        guard tolerance > 0 else { throw RTMLError.usage("tolerance must be > 0, got \(tolerance)") }
        guard maxIterations >= 1 else { throw RTMLError.usage("maxIterations must be >= 1, got \(maxIterations)") }
    }

    /// Fits to rows of `x` with class labels in `0 ..< classCount` (default: largest label + 1).
    /// `progress`, if given, receives each iteration; it does not change the fit.
    public func fit(_ x: DesignMatrix, labels: [Int], classCount: Int? = nil, progress: ((Iteration) -> Void)? = nil) throws -> Fit {
        try validate()
        guard labels.count == x.rows else { throw RTMLError.usage("x has \(x.rows) rows but there are \(labels.count) labels") }
        guard x.rows > 0 else { throw RTMLError.usage("cannot fit on zero rows") }
        let classes = classCount ?? (labels.max()! + 1)
        guard classes >= 2 else { throw RTMLError.usage("need at least two classes, got \(classes)") }
        guard labels.allSatisfy({ (0..<classes).contains($0) }) else {
            throw RTMLError.usage("labels must lie in 0..<\(classes)")
        }
        let p = x.columns, stride = p + 1
        let objective = SoftmaxObjective(x: x, labels: labels, classCount: classes, c: penalty == .l2 ? c : .infinity)
        let start = [Double](repeating: 0, count: objective.parameterCount)
        let report = progress.map { progress in
            { (iteration: Int, value: Double, gradient: Double) in
                progress(Iteration(iteration: iteration, objective: value, gradientMaxNorm: gradient))
            }
        }
        let result: (x: [Double], value: Double, iterations: Int, converged: Bool)
        switch penalty {
        case .l2:
            let solved = LBFGS(gradientTolerance: tolerance, maxIterations: maxIterations).minimize(from: start, progress: report) { theta, gradient in
                objective.evaluate(theta, gradient: &gradient)
            }
            result = (solved.x, solved.value, solved.iterations, solved.converged)
        case .l1:
            // Divided by C·n like the L2 form: mean cross-entropy + ‖W‖₁/(C·n).
            let penalised = (0..<start.count).map { $0 % stride != p }
            let solved = OWLQN(tolerance: tolerance, maxIterations: maxIterations)
                .minimize(from: start, l1: 1 / (c * Double(x.rows)), penalised: penalised, progress: report) { theta, gradient in
                    objective.evaluate(theta, gradient: &gradient)
                }
            result = (solved.x, solved.value, solved.iterations, solved.converged)
        }
        let scores = LogisticModel.scoreCount(classes)
        let model = LogisticModel(
            featureNames: x.featureNames, classCount: classes,
            coefficients: (0..<scores).map { k in Array(result.x[k * stride ..< k * stride + p]) },
            intercepts: (0..<scores).map { k in result.x[k * stride + p] })
        return Fit(model: model, objective: result.value, iterations: result.iterations, converged: result.converged)
    }
}

/// Mean cross-entropy plus ‖W‖²/(2Cn) and its gradient.
///
/// Parameters are laid out score row by score row: p weights then the intercept.
final class SoftmaxObjective {
    let x: DesignMatrix
    let labels: [Int]
    let classCount: Int
    let scoreCount: Int
    let penalty: Double
    /// Scores, then residuals p − onehot, column by column (reused across evaluations).
    var work: [Double]

    init(x: DesignMatrix, labels: [Int], classCount: Int, c: Double) {
        self.x = x
        self.labels = labels
        self.classCount = classCount
        self.scoreCount = LogisticModel.scoreCount(classCount)
        self.penalty = 1 / (c * Double(x.rows))
        self.work = [Double](repeating: 0, count: x.rows * scoreCount)
    }

    var parameterCount: Int { scoreCount * (x.columns + 1) }

    func evaluate(_ theta: [Double], gradient: inout [Double]) -> Double {
        let n = x.rows, p = x.columns, m = scoreCount, stride = p + 1
        let binary = classCount == 2
        var loss = 0.0
        x.values.withUnsafeBufferPointer { xs in
            work.withUnsafeMutableBufferPointer { z in
                let xBase = xs.baseAddress!, zBase = z.baseAddress!
                for k in 0..<m {
                    let zk = zBase + k * n
                    let b = theta[k * stride + p]
                    for i in 0..<n { zk[i] = b }
                    for j in 0..<p where theta[k * stride + j] != 0 {
                        VectorKernels.axpy(theta[k * stride + j], xBase + j * n, zk, n)
                    }
                }
                for i in 0..<n {
                    let y = labels[i]
                    if binary {
                        // log(1 + e^z) − [y = 1]·z, and residual σ(z) − [y = 1].
                        let zi = zBase[i]
                        let softplus = zi > 0 ? zi + log1p(exp(-zi)) : log1p(exp(zi))
                        loss += softplus - (y == 1 ? zi : 0)
                        let sigma = zi >= 0 ? 1 / (1 + exp(-zi)) : exp(zi) / (1 + exp(zi))
                        zBase[i] = sigma - (y == 1 ? 1 : 0)
                        continue
                    }
                    var top = -Double.infinity
                    for k in 0..<m { top = max(top, zBase[k * n + i]) }
                    var sum = 0.0
                    for k in 0..<m { sum += exp(zBase[k * n + i] - top) }
                    let logSum = top + log(sum)
                    loss += logSum - zBase[y * n + i]
                    for k in 0..<m {
                        let prob = exp(zBase[k * n + i] - logSum)
                        zBase[k * n + i] = prob - (k == y ? 1 : 0)
                    }
                }
                var wNorm2 = 0.0
                for k in 0..<m {
                    let rk = zBase + k * n
                    for j in 0..<p {
                        let w = theta[k * stride + j]
                        wNorm2 += w * w
                        gradient[k * stride + j] = VectorKernels.dot(xBase + j * n, rk, n) / Double(n) + penalty * w
                    }
                    var s = 0.0
                    for i in 0..<n { s += rk[i] }
                    gradient[k * stride + p] = s / Double(n)
                }
                loss = loss / Double(n) + 0.5 * penalty * wNorm2
            }
        }
        return loss
    }
}
