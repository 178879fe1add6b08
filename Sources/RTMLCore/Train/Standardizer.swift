/// Centres and scales each input column by the training rows' mean and
/// standard deviation, so one penalty strength means the same for a heart
/// rate (~100) and a count (~1). The fitted coefficients are folded back to
/// the raw inputs before export: w_raw = w / σ, b_raw = b − Σ w·μ / σ, so the
/// bundle scores raw feature values and serving needs no scaler.
/// A constant column (σ = 0) is left unscaled (σ taken as 1).
public struct Standardizer: Sendable, Equatable {
    public var means: [Double]
    public var scales: [Double]

    public init(means: [Double], scales: [Double]) {
        self.means = means
        self.scales = scales
    }

    /// Statistics of the given rows of a row-major table.
    public init(_ table: ExampleTable, rows: [Int]) {
        let p = table.featureCount
        var sum = [Double](repeating: 0, count: p)
        for i in rows { for j in 0..<p { sum[j] += table.values[i * p + j] } }
        let n = Double(max(rows.count, 1))
        let means = sum.map { $0 / n }
        var squares = [Double](repeating: 0, count: p)
        for i in rows {
            for j in 0..<p {
                let d = table.values[i * p + j] - means[j]
                squares[j] += d * d
            }
        }
        self.means = means
        self.scales = squares.map { s in
            let sd = (s / n).squareRoot()
            return sd > 1e-12 ? sd : 1
        }
    }

    /// The identity (no scaling): for fits that must match a reference on raw data.
    public static func identity(_ count: Int) -> Standardizer {
        Standardizer(means: [Double](repeating: 0, count: count), scales: [Double](repeating: 1, count: count))
    }

    /// A column-major design matrix of the given rows, standardized.
    public func matrix(_ table: ExampleTable, rows: [Int]) -> DesignMatrix {
        let p = table.featureCount
        let n = rows.count
        var values = [Double](repeating: 0, count: n * p)
        values.withUnsafeMutableBufferPointer { out in
            table.values.withUnsafeBufferPointer { src in
                for (r, i) in rows.enumerated() {
                    for j in 0..<p { out[j * n + r] = (src[i * p + j] - means[j]) / scales[j] }
                }
            }
        }
        return DesignMatrix(columnMajor: values, rows: n, columns: p, featureNames: table.featureNames)
    }

    /// Coefficients and intercept on standardized inputs → on raw inputs.
    public func fold(coefficients: [Double], intercept: Double) -> (coefficients: [Double], intercept: Double) {
        var raw = coefficients
        var b = intercept
        for j in raw.indices {
            raw[j] = coefficients[j] / scales[j]
            b -= raw[j] * means[j]
        }
        return (raw, b)
    }
}
