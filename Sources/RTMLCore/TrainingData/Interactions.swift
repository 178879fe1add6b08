import GRDB

/// User × content interactions from a store's `events`, indexed by the
/// store's dense ids (`sequence_ids.seq_id` for users, `item_ids.seq_id` for
/// content), split by time for an implicit-feedback model.
///
/// Strength r of a (user, item) pair, summed over the training period:
/// `content.start` +1, `content.complete` +2 (a finished play says more than
/// a start), a `content.exit` before the bounce threshold −0.75 (a bounce
/// says the start was a miss, so a bounced play nets 0.25). Pairs whose sum
/// is not positive are left out.
///
/// Evaluation truth: for each user with training interactions, the items
/// they started at or after the cut that they had not interacted with
/// before it (models recommend unseen items, so seen ones cannot count).
public struct Interactions: Sendable {
    public struct Entry: Sendable, Equatable {
        public var user: Int32
        public var item: Int32
        public var strength: Float
    }

    public static let startWeight: Float = 1
    public static let completeWeight: Float = 2
    public static let bouncePenalty: Float = -0.75

    /// Users indexed 0..<userCount (ids without interactions have no entries).
    public var userCount = 0
    public var itemCount = 0
    /// Training pairs, sorted by (user, item).
    public var train: [Entry] = []
    /// Per user index: content started at or after the cut, new to that user.
    public var heldOut: [Int32: Set<Int32>] = [:]
    /// The first test time (epoch ms).
    public var cut: Int64 = 0
    /// Content id by item index (nil for an unused index).
    public var contentIds: [String?] = []
    /// Category of each item as the events name it (nil when none did).
    public var categories: [String?] = []
    /// The training period actually covered.
    public var firstTime: Int64 = 0
    public var lastTrainTime: Int64 = 0
    public var lastTime: Int64 = 0

    public var testUsers: Int { heldOut.count }

    public init() {}

    /// Reads the store and splits at `split` (over the times of the starts).
    public static func load(from store: FeatureStore, split: TimeSplit, bounceThresholdMillis: Int64 = 60_000) throws -> Interactions {
        var out = Interactions()
        struct Raw { var user: Int32; var item: Int32; var kind: UInt8; var ts: Int64; var position: Double? }
        var raw: [Raw] = []
        try store.read { db in
            out.userCount = (try Int.fetchOne(db, sql: "SELECT max(seq_id) + 1 FROM sequence_ids")) ?? 0
            out.itemCount = (try Int.fetchOne(db, sql: "SELECT max(seq_id) + 1 FROM item_ids")) ?? 0
            out.contentIds = [String?](repeating: nil, count: out.itemCount)
            out.categories = [String?](repeating: nil, count: out.itemCount)
            let items = try Row.fetchCursor(db, sql: "SELECT content_id, seq_id FROM item_ids")
            while let row = try items.next() { out.contentIds[row[1] as Int] = row[0] }
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.seq_id, i.seq_id, e.event, e.event_ts, e.position_sec, e.category
                    FROM events e JOIN sequence_ids s ON s.user_id = e.user_id
                    JOIN item_ids i ON i.content_id = e.content_id
                    WHERE e.event IN ('content.start', 'content.complete', 'content.exit')
                    """)
            while let row = try rows.next() {
                let event: String = row[2]
                let kind: UInt8 = event == "content.start" ? 0 : (event == "content.complete" ? 1 : 2)
                let item: Int32 = row[1]
                raw.append(Raw(user: row[0], item: item, kind: kind, ts: row[3], position: row[4]))
                if out.categories[Int(item)] == nil { out.categories[Int(item)] = row[5] }
            }
        }
        var observations: [Observation] = []
        observations.reserveCapacity(raw.count)
        for r in raw {
            let w: Float
            switch r.kind {
            case 0: w = startWeight
            case 1: w = completeWeight
            default:
                // Only a bounce says something; a later exit adds nothing to the start.
                guard let p = r.position, p * 1000 < Double(bounceThresholdMillis) else { continue }
                w = bouncePenalty
            }
            observations.append(Observation(user: r.user, item: r.item, strength: w, ts: r.ts, isStart: r.kind == 0))
        }
        out.assemble(observations, split: split)
        return out
    }

    /// One interaction as read: its strength, time, and whether it counts
    /// as the user choosing the item (held-out truth after the cut).
    struct Observation {
        var user: Int32
        var item: Int32
        var strength: Float
        var ts: Int64
        var isStart: Bool
    }

    /// Splits at the cut (chosen over the starts' times), sums training
    /// strengths per pair, and collects each user's new items after the cut.
    mutating func assemble(_ observations: [Observation], split: TimeSplit) {
        let startTimes = observations.filter(\.isStart).map(\.ts)
        cut = split.cutTime(for: startTimes)
        firstTime = startTimes.min() ?? 0
        lastTime = observations.map(\.ts).max() ?? 0
        var strength: [Int64: Float] = [:]
        var lastTrain = Int64.min
        for o in observations where o.ts < cut {
            strength[Int64(o.user) << 32 | Int64(o.item), default: 0] += o.strength
            lastTrain = max(lastTrain, o.ts)
        }
        lastTrainTime = lastTrain == .min ? cut : lastTrain
        train = strength.compactMap { key, s in
            s > 0 ? Entry(user: Int32(key >> 32), item: Int32(truncatingIfNeeded: key), strength: s) : nil
        }.sorted { ($0.user, $0.item) < ($1.user, $1.item) }
        var seen: [Int32: Set<Int32>] = [:]
        for e in train { seen[e.user, default: []].insert(e.item) }
        for o in observations where o.ts >= cut && o.isStart {
            guard let before = seen[o.user], !before.contains(o.item) else { continue }
            heldOut[o.user, default: []].insert(o.item)
        }
    }

    /// How often each item was interacted with in training (the popularity baseline's ranking).
    public func itemPopularity() -> [Float] {
        var counts = [Float](repeating: 0, count: itemCount)
        for e in train { counts[Int(e.item)] += 1 }
        return counts
    }
}

extension Interactions {
    /// Interactions from a table (`rtml train als --data`): one row per
    /// interaction with a user column, an item column (any text or number)
    /// and optionally a strength column (default 1; rows of the same pair
    /// add up) and a time column for the split (default: file order).
    /// Users and items are numbered in order of first appearance; such a
    /// model has no store, so no sequence-id fingerprint, and is meant for
    /// offline evaluation and benchmarks, not for serving.
    public static func load(
        table path: String, userColumn: String, itemColumn: String, strengthColumn: String?, timeColumn: String?,
        split: TimeSplit
    ) throws -> Interactions {
        var users: [String: Int32] = [:]
        var items: [String: Int32] = [:]
        var raw: [(user: Int32, item: Int32, strength: Float, ts: Int64)] = []
        var rowNumber: Int64 = 0
        func key(_ cell: RowsFile.Cell, _ column: String, _ line: Int) throws -> String {
            switch cell {
            case .text(let s): return s
            case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
            case .missing: throw RTMLError("\(path):\(line): column '\(column)' is missing")
            }
        }
        try RowsFile.forEachRow(path) { line, cell, _ in
            let user = try key(cell(userColumn), userColumn, line)
            let item = try key(cell(itemColumn), itemColumn, line)
            var strength: Float = 1
            if let strengthColumn {
                guard case .number(let v) = cell(strengthColumn) else {
                    throw RTMLError("\(path):\(line): column '\(strengthColumn)' is missing or not a number")
                }
                strength = Float(v)
            }
            var ts = rowNumber
            if let timeColumn {
                switch cell(timeColumn) {
                case .number(let v): ts = Int64(v)
                case .text(let s):
                    guard case .success(let ms) = EventTime.parseRFC3339(s) else {
                        throw RTMLError("\(path):\(line): time column '\(timeColumn)' is not epoch ms or RFC 3339")
                    }
                    ts = ms
                case .missing: throw RTMLError("\(path):\(line): time column '\(timeColumn)' is missing")
                }
            }
            rowNumber += 1
            let u = users[user] ?? { let id = Int32(users.count); users[user] = id; return id }()
            let i = items[item] ?? { let id = Int32(items.count); items[item] = id; return id }()
            raw.append((u, i, strength, ts))
        }
        guard !raw.isEmpty else { throw RTMLError("\(path): no rows") }
        var out = Interactions()
        out.userCount = users.count
        out.itemCount = items.count
        out.contentIds = [String?](repeating: nil, count: items.count)
        for (name, id) in items { out.contentIds[Int(id)] = name }
        out.categories = [String?](repeating: nil, count: items.count)
        out.assemble(raw.map { Observation(user: $0.user, item: $0.item, strength: $0.strength, ts: $0.ts, isStart: true) },
                     split: split)
        return out
    }
}
