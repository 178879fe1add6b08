import Foundation
import RTMLCore

/// A feature row whose every value derives from `seed`, so two rows with
/// different seeds differ in every column; `vector` sets the vector columns.
func sampleRow(_ userId: String, eventTs: Int64, seed: Int64, vector: [Float]? = [0.5, -1, 2]) -> FeatureRow {
    let values: [FeatureValue] = FeatureSchema.columns.enumerated().map { k, column in
        switch column.type {
        case .integer: .integer(seed * 100 + Int64(k))
        case .real: .real(Double(seed) + Double(k) / 8)
        case .text: .text("event-\(seed)")
        case .vector: vector.map { .vector($0) } ?? .null
        }
    }
    return FeatureRow(userId: userId, eventTs: eventTs, updatedAt: eventTs + 7, values: values)
}

/// The seed `sampleRow` used for a row (read back from its first integer column).
func seedOf(_ row: FeatureRow) -> Int64? {
    guard let k = FeatureSchema.columns.firstIndex(where: { $0.type == .integer }),
          case .integer(let v) = row.values[k] else { return nil }
    return (v - Int64(k)) / 100
}

var vectorColumnIndex: Int { FeatureSchema.columns.firstIndex { $0.type == .vector }! }

func rtmlError(_ body: () throws -> Void) -> RTMLError? {
    do {
        try body()
        return nil
    } catch let error as RTMLError {
        return error
    } catch {
        return RTMLError("unexpected error type: \(error)")
    }
}
