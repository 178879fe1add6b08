/// Everything a fit produced that a bundle records: the command writes it
/// with `ModelBundle` and prints `summary`.
public struct TrainedModel: Sendable {
    public var kind: String
    public var params: [(String, JSONValue)]
    public var metrics: [(String, JSONValue)]
    /// The human-readable parameters (`model.json`).
    public var modelJSON: JSONValue
    public var arrays: [WeightArray] = []
    /// Signature: input names and types, output names and types.
    public var inputs: [ModelSignature.Column]
    public var outputs: [ModelSignature.Column]
    /// The period the training rows cover (epoch ms), and the first test time.
    public var trainFrom: Int64?
    public var trainTo: Int64?
    public var testFrom: Int64?
    public var storeId: String?
    public var sequenceMapFingerprint: String?
    /// Lines for stderr: what was fitted and how well.
    public var summary: [String] = []

    public init(
        kind: String, params: [(String, JSONValue)], metrics: [(String, JSONValue)], modelJSON: JSONValue,
        inputs: [ModelSignature.Column], outputs: [ModelSignature.Column]
    ) {
        self.kind = kind
        self.params = params
        self.metrics = metrics
        self.modelJSON = modelJSON
        self.inputs = inputs
        self.outputs = outputs
    }

    public func metric(_ name: String) -> JSONValue? {
        metrics.first { $0.0 == name }?.1
    }
}

/// Formats a metric for the summary: 4 significant decimals.
func fmt(_ v: Double) -> String {
    v.isFinite ? String(format: "%.4f", v) : "n/a"
}
