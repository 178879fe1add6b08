import Testing
@testable import RTMLCore

@Suite struct PackedFeatureRowTests {
    /// A row using every kind of value, NULLs, an empty text and an empty vector included.
    static func sample(text: String = "", vector: [Float] = []) -> FeatureRow {
        var values: [FeatureValue] = FeatureSchema.columns.map { _ in .null }
        for (k, column) in FeatureSchema.columns.enumerated() where k % 3 != 2 {
            switch column.type {
            case .integer: values[k] = .integer(Int64(k) * -7)
            case .real: values[k] = .real(Double(k) + 0.25)
            case .text: values[k] = .text(text)
            case .vector: values[k] = .vector(vector)
            }
        }
        values[FeatureSchema.columns.firstIndex { $0.type == .text }!] = .text(text)
        values[FeatureSchema.columns.firstIndex { $0.type == .vector }!] = .vector(vector)
        return FeatureRow(userId: "user-with-a-long-id-\(text)", eventTs: 1_000, updatedAt: 1_005, values: values)
    }

    @Test func aRowPacksAndUnpacksToTheSameValues() throws {
        for row in [Self.sample(), Self.sample(text: "content.complete", vector: [1, -2.5, .infinity])] {
            let packed = try PackedFeatureRow(validating: row, context: "t")
            #expect(packed.featureRow == row)
            #expect(packed == (try PackedFeatureRow(validating: row, context: "t")))
        }
    }

    @Test func emptyTextAndVectorAreValuesNotNull() throws {
        let packed = try PackedFeatureRow(validating: Self.sample(), context: "t")
        let text = FeatureSchema.columns.firstIndex { $0.type == .text }!
        let vector = FeatureSchema.columns.firstIndex { $0.type == .vector }!
        #expect(packed.value(text) == .text(""))
        #expect(packed.value(vector) == .vector([]))
        #expect(PackedFeatureRow(userId: "u", eventTs: 0, updatedAt: 0).value(vector) == .null)
    }

    @Test func anIntegerInARealColumnIsTakenAsReal() throws {
        var row = Self.sample()
        let real = FeatureSchema.columns.firstIndex { $0.type == .real }!
        row.values[real] = .integer(3)
        #expect(try PackedFeatureRow(validating: row, context: "t").value(real) == .real(3))
    }

    @Test func rowsThatDoNotFitTheSchemaAreRefusedWithTheReason() {
        var short = Self.sample()
        short.values.removeLast()
        #expect(rtmlError { _ = try PackedFeatureRow(validating: short, context: "s.db") }?.message
            == "s.db: feature row for user '\(short.userId)' has \(FeatureSchema.columns.count - 1) values, the schema has \(FeatureSchema.columns.count) columns")
        var wrong = Self.sample()
        let integer = FeatureSchema.columns.firstIndex { $0.type == .integer }!
        wrong.values[integer] = .text("x")
        #expect(rtmlError { _ = try PackedFeatureRow(validating: wrong, context: "s.db") }?.message
            == "s.db: feature row for user '\(wrong.userId)': column \(FeatureSchema.columns[integer].name) is INTEGER, got text")
    }

    @Test func rowsDifferingInOneColumnAreNotEqual() throws {
        let a = try PackedFeatureRow(validating: Self.sample(), context: "t")
        let other: [FeatureSchema.ColumnType: FeatureValue] = [.integer: .integer(99), .real: .real(-1), .text: .text("x"), .vector: .vector([9])]
        for (k, column) in FeatureSchema.columns.enumerated() {
            for value in [FeatureValue.null, other[column.type]!] {
                var row = Self.sample()
                guard row.values[k] != value else { continue }
                row.values[k] = value
                #expect(a != (try PackedFeatureRow(validating: row, context: "t")), "column \(column.name) as \(value)")
            }
        }
    }
}
