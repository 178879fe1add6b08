import Foundation

/// Matrix factorisation for implicit feedback by alternating least squares
/// (Hu, Koren & Volinsky, "Collaborative Filtering for Implicit Feedback
/// Datasets", ICDM 2008).
///
/// An interaction weight r gives confidence c = 1 + α·r and preference p = 1
/// (pairs with no interaction have c = 1, p = 0). Each half-iteration fixes one
/// side's factors Y and solves, for every row u of the other side,
///
///     (YᵀY + λI + Yᵀ(C_u − I)Y)·x_u = YᵀC_u·p_u
///
/// where YᵀY + λI is computed once and only the row's observed items add to it.
/// The default solver runs a few conjugate-gradient steps from the previous x_u
/// (Takács, Pilászy & Tikk, "Applications of the conjugate gradient method for
/// implicit feedback collaborative filtering", RecSys 2011), which touches each
/// observed item once per step instead of forming an f × f matrix per row;
/// `conjugateGradientSteps = nil` solves exactly by Cholesky instead.
///
/// Users first, then items, each iteration. Rows are solved independently, so
/// splitting them over threads gives the same factors as one thread.
///
/// Note on scales: the `implicit` library multiplies the weights by its `alpha`
/// and uses that product as c itself, not 1 + α·r; to compare, give it 1 + α·r
/// with its alpha = 1.
public struct ImplicitALS: Sendable, Equatable {
    /// Latent dimensions f.
    public var factors: Int
    /// Full iterations (users then items).
    public var iterations: Int
    /// λ, the L2 penalty on every factor row.
    public var regularization: Double
    /// α in c = 1 + α·r.
    public var alpha: Double
    /// Seed for the initial factors (uniform in [0, 0.01)).
    public var seed: UInt64
    /// Conjugate-gradient steps per row and half-iteration; nil for an exact Cholesky solve.
    public var conjugateGradientSteps: Int?
    /// Threads to split rows over (rows are independent and the Gram matrix is
    /// summed in a fixed order, so the result does not depend on it).
    public var threads: Int

    public init(
        factors: Int = 64, iterations: Int = 15, regularization: Double = 0.01, alpha: Double = 1.0,
        seed: UInt64 = 0, conjugateGradientSteps: Int? = 3, threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.factors = factors
        self.iterations = iterations
        self.regularization = regularization
        self.alpha = alpha
        self.seed = seed
        self.conjugateGradientSteps = conjugateGradientSteps
        self.threads = threads
    }

    public func validate() throws {
        guard factors >= 1 else { throw RTMLError.usage("factors must be >= 1, got \(factors)") }
        guard iterations >= 0 else { throw RTMLError.usage("iterations must be >= 0, got \(iterations)") }
        guard regularization >= 0, regularization.isFinite else { throw RTMLError.usage("regularization must be a finite number >= 0, got \(regularization)") }
        guard alpha >= 0, alpha.isFinite else { throw RTMLError.usage("alpha must be a finite number >= 0, got \(alpha)") }
        if let steps = conjugateGradientSteps, steps < 1 { throw RTMLError.usage("conjugateGradientSteps must be >= 1, got \(steps)") }
        guard threads >= 1 else { throw RTMLError.usage("threads must be >= 1, got \(threads)") }
    }

    /// Fits factors to a user × item interaction matrix (CSR by user).
    ///
    /// `progress`, if given, receives (iteration starting at 1, ``ImplicitALSModel/loss(_:regularization:alpha:)``)
    /// after each iteration; the loss costs about one extra half-iteration, so it is
    /// only computed when asked for.
    public func fit(_ userItems: SparseInteractions, progress: ((Int, Double) -> Void)? = nil) throws -> ImplicitALSModel {
        try validate()
        guard userItems.values.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw RTMLError.usage("interaction weights must be finite and >= 0")
        }
        let itemUsers = userItems.transposed()
        let f = factors
        var rng = Xoshiro256StarStar(seed: seed)
        let users = FactorMatrix(packed: (0..<userItems.rowCount * f).map { _ in Float(rng.unit() * 0.01) }, factors: f)
        let items = FactorMatrix(packed: (0..<userItems.columnCount * f).map { _ in Float(rng.unit() * 0.01) }, factors: f)
        let solver = ALSSolver(factors: f, regularization: regularization, alpha: alpha,
                               conjugateGradientSteps: conjugateGradientSteps, threads: threads)
        for iteration in 0..<iterations {
            solver.solve(rows: userItems, into: users, fixed: items)
            solver.solve(rows: itemUsers, into: items, fixed: users)
            if let progress {
                let model = ImplicitALSModel(factors: f, userFactors: users.packed, itemFactors: items.packed)
                progress(iteration + 1, model.loss(userItems, regularization: regularization, alpha: alpha))
            }
        }
        return ImplicitALSModel(factors: f, userFactors: users.packed, itemFactors: items.packed)
    }
}
