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

/// A history row that records only its event (features NULL, `last_event`
/// the event's name): for tests that need a store's `events` and nothing else.
func eventOnlyRow(_ e: StoredEvent) -> FeatureRow {
    var values = [FeatureValue](repeating: .null, count: FeatureSchema.columns.count)
    values[FeatureSchema.index(of: "last_event")!] = .text(e.event)
    return FeatureRow(userId: e.userId, eventTs: e.eventTs, updatedAt: e.receivedAt, values: values)
}

extension FeatureStore.Batch {
    /// Appends an event as `featurize` would, without features.
    func insertEvent(_ e: StoredEvent) throws {
        try insertHistory(eventOnlyRow(e), event: e)
    }
}

/// `sampleRow` for the row an event made: its user, time, arrival and name.
func sampleRow(for e: StoredEvent, seed: Int64) -> FeatureRow {
    var row = sampleRow(e.userId, eventTs: e.eventTs, seed: seed)
    row.updatedAt = e.receivedAt
    row.values[FeatureSchema.index(of: "last_event")!] = .text(e.event)
    return row
}
