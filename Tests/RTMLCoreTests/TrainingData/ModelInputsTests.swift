import Foundation
import RTMLCore
import Testing

@Suite struct ModelInputsTests {
    func row(lastEvent: String, lastTs: Int64) -> FeatureRow {
        var values = [FeatureValue](repeating: .null, count: FeatureSchema.columns.count)
        values[FeatureSchema.index(of: "steps_mean_10m")!] = .real(42.5)
        values[FeatureSchema.index(of: "starts_sleep_10m")!] = .integer(3)
        values[FeatureSchema.index(of: "last_event")!] = .text(lastEvent)
        values[FeatureSchema.index(of: "last_event_ts")!] = .integer(lastTs)
        return FeatureRow(userId: "u", eventTs: lastTs, updatedAt: lastTs, values: values)
    }

    @Test func encodesColumnsOneHotRecencyAndTheClock() throws {
        let inputs = try ModelInputs(names: [
            "steps_mean_10m", "starts_sleep_10m", "steps_slope_10m", "last_event=search", "last_event=app.open",
            "since_last_event_min", "hour_sin", "hour_cos",
        ])
        // 06:00 UTC on some day: a quarter turn.
        let t: Int64 = 20_000 * 86_400_000 + 6 * 3_600_000
        let v = inputs.encode(row(lastEvent: "search", lastTs: t - 90_000), at: t)
        #expect(v[0] == 42.5)
        #expect(v[1] == 3)
        #expect(v[2] == 0)  // NULL slope
        #expect(v[3] == 1 && v[4] == 0)
        #expect(v[5] == 1.5)
        #expect(abs(v[6] - 1) < 1e-12 && abs(v[7]) < 1e-12)
        #expect(inputs.encode(nil, at: t)[0...5].allSatisfy { $0 == 0 })
    }

    @Test func refusesTextVectorAndUnknownNames() {
        #expect(throws: RTMLError.self) { try ModelInputs(names: ["last_event"]) }
        #expect(throws: RTMLError.self) { try ModelInputs(names: ["search_embedding"]) }
        #expect(throws: RTMLError.self) { try ModelInputs(names: ["last_event=dance"]) }
        #expect(throws: RTMLError.self) { try ModelInputs(names: ["nope"]) }
    }

    @Test func theDefaultNamesAreAllValid() throws {
        let inputs = try ModelInputs()
        #expect(inputs.names.count == ModelInputs.allNames.count)
        #expect(!inputs.names.contains("last_event_ts"))
    }
}
