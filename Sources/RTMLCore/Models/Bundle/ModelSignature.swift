/// A model's inputs and outputs in MLflow's column-based signature form.
///
/// In MLmodel each side is a JSON list inside a YAML string, as MLflow writes
/// it: `inputs: '[{"name": "x", "type": "double"}]'`. Types are MLflow's
/// column data types.
public struct ModelSignature: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        /// MLflow's column data types (`mlflow.types.DataType`).
        public enum DataType: String, Sendable, CaseIterable {
            case boolean, integer, long, float, double, string, binary, datetime
        }

        /// Nil for an unnamed output column (`[{"type": "double"}]`).
        public var name: String?
        public var type: DataType

        public init(_ name: String?, _ type: DataType) {
            self.name = name
            self.type = type
        }
    }

    public var inputs: [Column]
    public var outputs: [Column]

    public init(inputs: [Column], outputs: [Column]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// MLflow's JSON text for one side, with Python's `json.dumps` spacing.
    static func json(_ columns: [Column]) -> String {
        let items = columns.map { column -> String in
            var fields: [String] = []
            if let name = column.name { fields.append("\"name\": " + JSONValue.string(name).rendered()) }
            fields.append("\"type\": \"\(column.type.rawValue)\"")
            return "{" + fields.joined(separator: ", ") + "}"
        }
        return "[" + items.joined(separator: ", ") + "]"
    }

    static func columns(fromJSON text: String, source: String, field: String) throws -> [Column] {
        let value = try JSONValue.parse(text, source: "\(source): \(field)")
        guard let items = value.arrayItems else { throw RTMLError("\(source): \(field) must be a JSON list of columns") }
        return try items.enumerated().map { index, item in
            guard let typeName = item["type"]?.stringValue else {
                throw RTMLError("\(source): \(field) column \(index + 1) has no \"type\"")
            }
            guard let type = Column.DataType(rawValue: typeName) else {
                throw RTMLError("\(source): \(field) column \(index + 1) has unknown type \"\(typeName)\" (known: \(Column.DataType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let name = item["name"]
            if let name, name.stringValue == nil, name != .null {
                throw RTMLError("\(source): \(field) column \(index + 1) has a \"name\" that is not a string")
            }
            return Column(name?.stringValue, type)
        }
    }
}

/// The span of event time a model was trained on, in epoch milliseconds.
public struct TrainingWindow: Sendable, Equatable {
    public var from: Int64
    public var to: Int64

    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }
}

/// One file of a bundle as MLmodel records it.
public struct BundleFile: Sendable, Equatable {
    public var name: String
    public var size: Int
    /// 64 lowercase hex digits.
    public var sha256: String
    /// For weight arrays: their element type and shape.
    public var dtype: WeightArray.DType?
    public var shape: [Int]?

    public init(name: String, size: Int, sha256: String, dtype: WeightArray.DType? = nil, shape: [Int]? = nil) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.dtype = dtype
        self.shape = shape
    }
}
