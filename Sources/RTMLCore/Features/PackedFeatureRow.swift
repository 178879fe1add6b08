/// A `FeatureRow` in one fixed-size value: each integer or real column as
/// its 64-bit pattern in place, a NULL bit per column, and the schema's one
/// text and one vector column beside them.
///
/// featurize makes a row per accepted event on the driver's core and the
/// store writer binds it on the other. As `[FeatureValue]` every row was a
/// heap block of enums, allocated on one core, read cold on the other and
/// freed on the first again: a fifth of the driver's time was malloc, free
/// and reference counting. A batch of these is one contiguous array.
public struct PackedFeatureRow: Sendable {
    /// `FeatureSchema.columns.count`, as the literal `Slots` needs (checked by `Layout`).
    public static let columnCount = 25
    typealias Slots = InlineArray<25, UInt64>

    public var userId: String
    /// Event time of the latest event the values include (epoch ms).
    public var eventTs: Int64
    /// Arrival time (receivedAt, epoch ms) of that event.
    public var updatedAt: Int64
    /// Bit k set: column k is NULL.
    var nulls: UInt64
    /// Column k's bits: `Int64` for an integer column, `Double` for a real
    /// one; unused (0) for the text and vector columns.
    var slots: Slots
    /// The text column's value; "" when it is NULL.
    var text: String
    /// The vector column's value; empty when it is NULL.
    var vector: [Float]
    /// Hash128 of `vector`'s bytes, made with it: the writer compares it with
    /// the user's previous row's without touching the array, whose reference
    /// count the driver's core keeps changing (rows share it).
    var vectorHash: Hash128

    /// A row with every column NULL.
    public init(userId: String, eventTs: Int64, updatedAt: Int64) {
        self.userId = userId
        self.eventTs = eventTs
        self.updatedAt = updatedAt
        nulls = Layout.allNull
        slots = Slots(repeating: 0)
        text = ""
        vector = []
        vectorHash = Hash128(high: 0, low: 0)
    }

    /// Where the schema's columns go: its types, and its one text and one vector column.
    enum Layout {
        static let types: [FeatureSchema.ColumnType] = {
            let types = FeatureSchema.columns.map(\.type)
            precondition(types.count == PackedFeatureRow.columnCount && types.count <= 64,
                         "PackedFeatureRow.columnCount must be FeatureSchema.columns.count")
            precondition(types.filter { $0 == .text }.count == 1 && types.filter { $0 == .vector }.count == 1,
                         "PackedFeatureRow holds one text and one vector column")
            return types
        }()
        static let textColumn = types.firstIndex(of: .text)!
        static let vectorColumn = types.firstIndex(of: .vector)!
        static let allNull: UInt64 = columnCount == 64 ? ~0 : (1 << UInt64(columnCount)) - 1
    }

    // MARK: Reading

    @inline(__always) public func isNull(_ k: Int) -> Bool { nulls & (1 << UInt64(k)) != 0 }
    @inline(__always) func integer(_ k: Int) -> Int64 { Int64(bitPattern: slots[k]) }
    @inline(__always) func real(_ k: Int) -> Double { Double(bitPattern: slots[k]) }

    /// Column k as a `FeatureValue` (the kind its column's type says).
    public func value(_ k: Int) -> FeatureValue {
        if isNull(k) { return .null }
        switch Layout.types[k] {
        case .integer: return .integer(integer(k))
        case .real: return .real(real(k))
        case .text: return .text(text)
        case .vector: return .vector(vector)
        }
    }

    /// The values in `FeatureSchema.columns` order, as a `FeatureRow` holds them.
    public var values: [FeatureValue] { (0..<Self.columnCount).map(value) }

    public var featureRow: FeatureRow {
        FeatureRow(userId: userId, eventTs: eventTs, updatedAt: updatedAt, values: values)
    }

    // MARK: Writing

    @inline(__always) mutating func set(_ k: Int, integer v: Int64) {
        slots[k] = UInt64(bitPattern: v)
        nulls &= ~(1 << UInt64(k))
    }

    @inline(__always) mutating func set(_ k: Int, real v: Double) {
        slots[k] = v.bitPattern
        nulls &= ~(1 << UInt64(k))
    }

    /// nil leaves the column NULL.
    @inline(__always) mutating func set(_ k: Int, real v: Double?) {
        if let v { set(k, real: v) }
    }

    @inline(__always) mutating func setText(_ s: String) {
        text = s
        nulls &= ~(1 << UInt64(Layout.textColumn))
    }

    /// `hash` must be `Hash128(v's bytes)`.
    @inline(__always) mutating func setVector(_ v: [Float], hash: Hash128) {
        vector = v
        vectorHash = hash
        nulls &= ~(1 << UInt64(Layout.vectorColumn))
    }

    mutating func setVector(_ v: [Float]) {
        setVector(v, hash: Self.hash(v))
    }

    static func hash(_ v: [Float]) -> Hash128 { v.withUnsafeBytes { Hash128($0) } }

    /// Packs `row`, checking it against the schema as the store does: one
    /// value per column, each of its column's type (an integer is taken for
    /// a real column). Errors begin with `context` (the store's path).
    public init(validating row: FeatureRow, context: String) throws {
        let types = Layout.types
        guard row.values.count == types.count else {
            throw RTMLError(
                "\(context): feature row for user '\(row.userId)' has \(row.values.count) values, the schema has \(types.count) columns")
        }
        self.init(userId: row.userId, eventTs: row.eventTs, updatedAt: row.updatedAt)
        for (k, value) in row.values.enumerated() {
            switch (value, types[k]) {
            case (.null, _): break
            case (.integer(let v), .integer): set(k, integer: v)
            case (.integer(let v), .real): set(k, real: Double(v))
            case (.real(let v), .real): set(k, real: v)
            case (.text(let v), .text): setText(v)
            case (.vector(let v), .vector): setVector(v)
            default:
                throw RTMLError(
                    "\(context): feature row for user '\(row.userId)': column \(FeatureSchema.columns[k].name) is \(types[k].rawValue), got \(value.kindName)")
            }
        }
    }
}

extension PackedFeatureRow: Equatable {
    /// Equal when every column has the same value (a NULL column's slot is not compared).
    public static func == (a: Self, b: Self) -> Bool {
        guard a.userId == b.userId, a.eventTs == b.eventTs, a.updatedAt == b.updatedAt, a.nulls == b.nulls else { return false }
        for k in 0..<columnCount where !a.isNull(k) && a.value(k) != b.value(k) { return false }
        return true
    }
}
