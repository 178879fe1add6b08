/// A dense matrix of training features, one row per example, one column per feature.
///
/// Storage is column-major Float64: the values of column `j` are
/// `values[j * rows ..< (j + 1) * rows]`. Coordinate descent (``ElasticNet``)
/// sweeps one feature at a time over every row, so each sweep reads one
/// contiguous block; the gradient of ``LogisticRegression`` is also a sum of
/// column-times-vector products.
public struct DesignMatrix: Sendable, Equatable {
    /// Number of examples.
    public let rows: Int
    /// Number of features.
    public let columns: Int
    /// Column-major values, `rows * columns` long.
    public var values: [Double]
    /// One name per column, in column order (written to `model.json`).
    public var featureNames: [String]

    /// A zero matrix; feature names default to `x0`, `x1`, ….
    public init(rows: Int, columns: Int, featureNames: [String]? = nil) {
        precondition(rows >= 0 && columns >= 0)
        self.rows = rows
        self.columns = columns
        self.values = [Double](repeating: 0, count: rows * columns)
        self.featureNames = featureNames ?? (0..<columns).map { "x\($0)" }
        precondition(self.featureNames.count == columns, "one feature name per column")
    }

    /// Wraps values already in column-major order.
    public init(columnMajor values: [Double], rows: Int, columns: Int, featureNames: [String]? = nil) {
        precondition(values.count == rows * columns, "column-major values must hold rows * columns entries")
        self.rows = rows
        self.columns = columns
        self.values = values
        self.featureNames = featureNames ?? (0..<columns).map { "x\($0)" }
        precondition(self.featureNames.count == columns, "one feature name per column")
    }

    /// Builds the matrix from rows of equal length (convenient for tests and small inputs).
    public init(rowMajor data: [[Double]], featureNames: [String]? = nil) {
        let columns = data.first?.count ?? featureNames?.count ?? 0
        self.init(rows: data.count, columns: columns, featureNames: featureNames)
        for (i, row) in data.enumerated() {
            precondition(row.count == columns, "row \(i) has \(row.count) values, expected \(columns)")
            for j in 0..<columns { values[j * rows + i] = row[j] }
        }
    }

    @inline(__always)
    public subscript(row: Int, column: Int) -> Double {
        get { values[column * rows + row] }
        set { values[column * rows + row] = newValue }
    }

    /// The values of one column, contiguous.
    public func column(_ j: Int) -> ArraySlice<Double> {
        values[j * rows ..< (j + 1) * rows]
    }

    /// The values of one row (strided gather; for scoring single examples, not hot loops).
    public func row(_ i: Int) -> [Double] {
        (0..<columns).map { values[$0 * rows + i] }
    }
}
