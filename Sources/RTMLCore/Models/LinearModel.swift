/// A fitted linear predictor `ŷ = b + Σ w_j·x_j`, what `model.json` holds for linear models.
public struct LinearModel: Sendable, Equatable, Codable {
    /// Names of the features, in the order of ``coefficients``.
    public var featureNames: [String]
    /// One weight per feature.
    public var coefficients: [Double]
    /// The constant term.
    public var intercept: Double

    public init(featureNames: [String], coefficients: [Double], intercept: Double) {
        precondition(featureNames.count == coefficients.count, "one coefficient per feature name")
        self.featureNames = featureNames
        self.coefficients = coefficients
        self.intercept = intercept
    }

    /// The prediction for one example given as feature values in coefficient order.
    public func predict(_ features: [Double]) -> Double {
        precondition(features.count == coefficients.count, "expected \(coefficients.count) feature values")
        var sum = intercept
        for j in 0..<coefficients.count { sum += coefficients[j] * features[j] }
        return sum
    }

    /// Predictions for every row of a design matrix (column by column, so the reads are contiguous).
    public func predict(_ x: DesignMatrix) -> [Double] {
        precondition(x.columns == coefficients.count, "matrix has \(x.columns) columns, model has \(coefficients.count)")
        var out = [Double](repeating: intercept, count: x.rows)
        x.values.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                for j in 0..<x.columns where coefficients[j] != 0 {
                    VectorKernels.axpy(coefficients[j], xs.baseAddress! + j * x.rows, o.baseAddress!, x.rows)
                }
            }
        }
        return out
    }
}
