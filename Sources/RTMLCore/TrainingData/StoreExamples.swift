import GRDB

/// Builds a point-in-time correct training set from a feature store: one
/// example per anchor event (by default the events that trigger a prediction
/// job), its inputs from `feature_history` as of the event's time, its label
/// from the user's later events within the horizon.
///
/// Point in time: the inputs are the user's history row with the greatest
/// `(event_ts, row_id)` whose `event_ts <= t` — never a row with a later
/// event time, even one inserted earlier (an out-of-order event). Labels look
/// only at events with `t < event_ts <= t + horizon`. An example whose
/// horizon reaches past the store's last event is dropped: its label is not
/// known yet, and counting it as "nothing happened" would bias the model.
public struct StoreExamples {
    public var label: LabelSpec
    public var horizonMillis: Int64
    public var inputs: ModelInputs
    /// Event types that anchor an example.
    public var anchors: Set<String>

    public static let defaultAnchors: [String] = ["app.open", "search", "content.complete", "content.exit"]

    public init(label: LabelSpec, horizonMillis: Int64, inputs: ModelInputs, anchors: Set<String> = Set(defaultAnchors)) {
        self.label = label
        self.horizonMillis = horizonMillis
        self.inputs = inputs
        self.anchors = anchors
    }

    /// What the build saw, for the command's summary.
    public struct Counts: Sendable, Equatable {
        public var users = 0
        public var anchors = 0
        public var examples = 0
        /// Anchors dropped because their horizon passes the last event.
        public var censored = 0
        /// next-category anchors with no start within the horizon.
        public var unlabelled = 0
        /// Anchors before the user's first history row (no features yet).
        public var withoutFeatures = 0
    }

    struct UserEvent {
        var event: String
        var ts: Int64
        var category: String?
    }

    /// `lastEventTime`: the end of the data for censoring, when the store is
    /// one shard of a set (the set's last event, not the shard's); default
    /// the store's own.
    public func build(from store: FeatureStore, lastEventTime: Int64? = nil) throws -> (table: ExampleTable, counts: Counts) {
        var table = ExampleTable(featureNames: inputs.names, classes: label.classes)
        table.times = []
        table.keys = []
        var counts = Counts()
        let scalarColumns = FeatureSchema.columns.enumerated().filter { $0.element.type != .vector }
        let historySQL = """
            SELECT user_id, event_ts, \(scalarColumns.map { StoreSchema.quoted($0.element.name) }.joined(separator: ", "))
            FROM feature_history ORDER BY user_id, event_ts, row_id
            """
        try store.read { db in
            let lastEvent = try lastEventTime ?? Int64.fetchOne(db, sql: "SELECT max(event_ts) FROM events") ?? Int64.min
            let events = try Row.fetchCursor(
                db, sql: "SELECT user_id, event, event_ts, category FROM events ORDER BY user_id, event_ts, row_id")
            let history = try Row.fetchCursor(db, sql: historySQL)
            var pendingEvent = try events.next()
            var pendingHistory = try history.next()
            while let first = pendingEvent {
                let user: String = first[0]
                var userEvents: [UserEvent] = []
                while let row = pendingEvent, (row[0] as String) == user {
                    userEvents.append(UserEvent(event: row[1], ts: row[2], category: row[3]))
                    pendingEvent = try events.next()
                }
                // Skip history of users without events (cannot happen for a
                // featurize store, but a hand-edited one may have them).
                while let row = pendingHistory, (row[0] as String).utf8.lexicographicallyPrecedes(user.utf8) { pendingHistory = try history.next() }
                var userHistory: [FeatureRow] = []
                while let row = pendingHistory, (row[0] as String) == user {
                    var values = [FeatureValue](repeating: .null, count: FeatureSchema.columns.count)
                    for (offset, column) in scalarColumns.enumerated() {
                        values[column.offset] = FeatureStore.decodeValue(row[offset + 2], column.element.type)
                    }
                    userHistory.append(FeatureRow(userId: user, eventTs: row[1], updatedAt: 0, values: values))
                    pendingHistory = try history.next()
                }
                counts.users += 1
                addExamples(user: user, events: userEvents, history: userHistory, lastEvent: lastEvent,
                            into: &table, counts: &counts)
            }
        }
        counts.examples = table.rowCount
        return (table, counts)
    }

    private func addExamples(
        user: String, events: [UserEvent], history: [FeatureRow], lastEvent: Int64,
        into table: inout ExampleTable, counts: inout Counts
    ) {
        var asOf = -1  // index of the latest history row with event_ts <= t
        var labelScan = 0
        for e in events where anchors.contains(e.event) {
            counts.anchors += 1
            let t = e.ts
            guard t <= lastEvent - horizonMillis else { counts.censored += 1; continue }
            while asOf + 1 < history.count, history[asOf + 1].eventTs <= t { asOf += 1 }
            guard asOf >= 0 else { counts.withoutFeatures += 1; continue }
            // Events are in time order, so the first later event is found
            // by moving one cursor forward across anchors.
            while labelScan < events.count, events[labelScan].ts <= t { labelScan += 1 }
            guard let target = labelValue(events, from: labelScan, until: t + horizonMillis) else {
                counts.unlabelled += 1
                continue
            }
            inputs.encode(history[asOf], at: t, into: &table.values)
            table.targets.append(target)
            table.times!.append(t)
            table.keys!.append(user)
        }
    }

    private func labelValue(_ events: [UserEvent], from start: Int, until end: Int64) -> Double? {
        var i = start
        switch label {
        case .nextCategory:
            while i < events.count, events[i].ts <= end {
                if events[i].event == "content.start", let c = events[i].category,
                   let k = ContentCategory.allCases.firstIndex(where: { $0.name == c }) {
                    return Double(k)
                }
                i += 1
            }
            return nil
        case .complete(let category):
            while i < events.count, events[i].ts <= end {
                if events[i].event == "content.complete", events[i].category == category { return 1 }
                i += 1
            }
            return 0
        }
    }
}
