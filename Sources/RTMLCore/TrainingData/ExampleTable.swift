/// A table of training examples: a dense row-major matrix of inputs, one
/// target per row, and (for examples built from a store) each row's user and
/// time, which the time split and `--export-rows` need.
public struct ExampleTable: Sendable, Equatable {
    /// Column names, in the order of each row's values.
    public var featureNames: [String]
    /// Row-major values, `rowCount × featureNames.count`.
    public var values: [Double]
    /// The target: a number for regression, a class index for classification.
    public var targets: [Double]
    /// The class names when the target is categorical (index = class number).
    public var classes: [String]?
    /// Example time (epoch ms) per row, when the rows have one.
    public var times: [Int64]?
    /// The entity (user id) per row, when the rows have one.
    public var keys: [String]?

    public init(
        featureNames: [String], values: [Double] = [], targets: [Double] = [],
        classes: [String]? = nil, times: [Int64]? = nil, keys: [String]? = nil
    ) {
        self.featureNames = featureNames
        self.values = values
        self.targets = targets
        self.classes = classes
        self.times = times
        self.keys = keys
    }

    public var rowCount: Int { targets.count }
    public var featureCount: Int { featureNames.count }

    public func row(_ i: Int) -> ArraySlice<Double> {
        values[(i * featureCount)..<((i + 1) * featureCount)]
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ExampleTable {
        var out = ExampleTable(featureNames: featureNames, classes: classes)
        out.values.reserveCapacity(indices.count * featureCount)
        out.targets.reserveCapacity(indices.count)
        if times != nil { out.times = [] }
        if keys != nil { out.keys = [] }
        for i in indices {
            out.values.append(contentsOf: row(i))
            out.targets.append(targets[i])
            if let times { out.times!.append(times[i]) }
            if let keys { out.keys!.append(keys[i]) }
        }
        return out
    }

    /// The values of one column, top to bottom.
    public func column(_ j: Int) -> [Double] {
        (0..<rowCount).map { values[$0 * featureCount + j] }
    }
}
