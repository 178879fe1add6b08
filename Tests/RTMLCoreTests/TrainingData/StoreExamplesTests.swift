import Foundation
import RTMLCore
import Testing

@Suite struct StoreExamplesTests {
    func event(_ user: String, _ name: String, _ ts: Int64, category: String? = nil) -> StoredEvent {
        StoredEvent(userId: user, event: name, eventTs: ts, receivedAt: ts, messageId: "m\(user)\(ts)\(name)",
                    contentId: category.map { "c-\($0)" }, category: category)
    }

    /// A store where user u's history has a row with a later event time
    /// inserted before an earlier one (an out-of-order event), and a later
    /// event that gives the label.
    func leakyStore(_ dir: TempDir) throws -> FeatureStore {
        let store = try FeatureStore.open(path: dir.path("s.db"))
        try store.transaction { b in
            // Each history row with the event that made it, in arrival order.
            for (e, seed) in [
                (event("u", "app.open", 1_000), 1), (event("u", "content.start", 5_000, category: "focus"), 5),
                (event("u", "search", 2_000), 2), (event("u", "content.complete", 3_000, category: "sleep"), 3),
                // Much later activity, so the horizons above are observable.
                (event("v", "app.open", 100_000), 9),
            ] as [(StoredEvent, Int64)] {
                try b.insertHistory(sampleRow(for: e, seed: seed), event: e)
            }
        }
        return store
    }

    @Test func inputsComeFromTheLatestRowNotAfterTheAnchorEvenWhenALaterOneWasInsertedFirst() throws {
        let dir = TempDir()
        let store = try leakyStore(dir)
        let inputs = try ModelInputs(names: ["session_sleep_starts"])
        let builder = StoreExamples(label: .nextCategory, horizonMillis: 10_000, inputs: inputs)
        let (table, counts) = try builder.build(from: store)
        // Anchors of u: app.open@1000, search@2000, content.complete@3000; all
        // label "focus" (the start at 5000). v's app.open is censored.
        #expect(table.keys == ["u", "u", "u"])
        #expect(table.times == [1_000, 2_000, 3_000])
        // sampleRow's first integer column is seed*100 + 0.
        #expect(table.values == [100, 200, 300])
        #expect(table.targets == [1, 1, 1])  // focus is class 1
        #expect(table.classes == ContentCategory.allCases.map(\.name))
        #expect(counts.censored == 1)
        #expect(counts.users == 2)
    }

    @Test func completeLabelLooksOnlyAfterTheAnchorAndWithinTheHorizon() throws {
        let dir = TempDir()
        let store = try leakyStore(dir)
        let inputs = try ModelInputs(names: ["session_sleep_starts"])
        // Horizon 1500 ms: from 1000 the complete at 3000 is out of reach; from
        // 2000 it is in; at 3000 itself it is not "later".
        let builder = StoreExamples(label: .complete(category: "sleep"), horizonMillis: 1_500, inputs: inputs)
        let (table, _) = try builder.build(from: store)
        #expect(table.times == [1_000, 2_000, 3_000])
        #expect(table.targets == [0, 1, 0])
    }

    @Test func nextCategoryDropsAnchorsWithoutAStartInTheHorizon() throws {
        let dir = TempDir()
        let store = try leakyStore(dir)
        let builder = StoreExamples(label: .nextCategory, horizonMillis: 2_500, inputs: try ModelInputs(names: ["hour_sin"]))
        let (table, counts) = try builder.build(from: store)
        // Only anchors within 2.5 s before the start at 5000 keep a label.
        #expect(table.times == [3_000])
        #expect(counts.unlabelled == 2)
    }

    @Test func labelsParseAndRejectUnknownCategories() throws {
        #expect(try LabelSpec(parsing: "next-category") == .nextCategory)
        #expect(try LabelSpec(parsing: "complete:move") == .complete(category: "move"))
        #expect(throws: RTMLError.self) { try LabelSpec(parsing: "complete:dance") }
        #expect(throws: RTMLError.self) { try LabelSpec(parsing: "churn") }
    }

    @Test func timeSplitPutsTheLatestFractionInTestAndTiesAtTheCutWithIt() throws {
        var table = ExampleTable(featureNames: ["x"], values: [1, 2, 3, 4, 5], targets: [0, 0, 0, 0, 0])
        table.times = [50, 10, 40, 20, 40]
        let (train, test, cut) = try TimeSplit.lastFraction(0.4).split(table)
        #expect(cut == 40)
        #expect(train == [1, 3])
        #expect(test == [0, 2, 4])
        let at = try TimeSplit.at(21).split(table)
        #expect(at.train == [1, 3])
    }
}
