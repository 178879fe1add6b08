// Insert throughput of the feature store on featurize-shaped rows: one
// feature_history row per event (every FeatureSchema column, a 64-float
// search embedding that changes on about one event in eight), in
// transactions of `batch` rows, over a day's worth of users.
import Foundation
import GRDB
import RTMLCore

let args = CommandLine.arguments
let rows = args.count > 1 ? Int(args[1])! : 1_000_000
let batch = args.count > 2 ? Int(args[2])! : 5_000
let users = args.count > 3 ? Int(args[3])! : 14_150
let phases = Set((args.count > 4 ? args[4] : "gen,history,floor,grdb,upsert,events,mix").split(separator: ",").map(String.init))
let dims = 64

/// SplitMix64: deterministic, so runs compare like with like.
struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Makes the i-th row of the simulated day; `changed` says whether the
/// user's embedding changed with this event.
final class RowMaker {
    var rng = Rng(state: 7)
    let userIds: [String]
    var embeddings: [[Float]]
    let events = ["app.open", "content.start", "content.exit", "content.complete", "search", "biometric"]
    let startMs: Int64 = 1_795_600_000_000

    init(users: Int) {
        userIds = (0..<users).map { "u\($0)" }
        embeddings = Array(repeating: [Float](repeating: 0, count: dims), count: users)
    }

    func make(_ i: Int) -> (row: FeatureRow, user: Int, changed: Bool) {
        let u = rng.below(userIds.count)
        let changed = rng.below(8) == 0
        if changed {
            for d in 0..<dims { embeddings[u][d] = Float(rng.unit()) }
        }
        let ts = startMs + Int64(i) * 86 + Int64(rng.below(2_000))
        var values: [FeatureValue] = []
        values.reserveCapacity(FeatureSchema.columns.count)
        for column in FeatureSchema.columns {
            switch column.type {
            case .integer: values.append(.integer(Int64(rng.below(20))))
            case .real: values.append(.real(rng.unit() * 100))
            case .text: values.append(.text(events[rng.below(events.count)]))
            case .vector: values.append(.vector(embeddings[u]))
            }
        }
        return (FeatureRow(userId: userIds[u], eventTs: ts, updatedAt: ts + 250, values: values), u, changed)
    }
}

/// The event that made `row` (since schema 2 an event is stored in its
/// history row: same user, time, arrival, and its name is the row's last_event).
func event(of row: FeatureRow, _ i: Int) -> StoredEvent {
    var name = ""
    if let k = FeatureSchema.index(of: "last_event"), case .text(let s) = row.values[k] { name = s }
    return StoredEvent(userId: row.userId, event: name, eventTs: row.eventTs, receivedAt: row.updatedAt,
                       messageId: "m-\(i)", contentId: "c\(i % 400)", category: "sleep", durationSec: 600)
}

/// CPU seconds (user + system) this process has used: the machine is
/// shared, so wall time alone says as much about the neighbours as about us.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

var lastCPU = 0.0

/// Wall seconds of `body`; its CPU seconds are left in `lastCPU`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let c0 = cpuSeconds()
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    lastCPU = cpuSeconds() - c0
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

/// "12.34s  123,456 rows/s (cpu 10.00s: 150,000 rows per cpu-second)"
func report(_ label: String, _ t: Double, _ n: Int, _ unit: String = "rows", _ note: String = "") {
    let padded = label.padding(toLength: 30, withPad: " ", startingAt: 0)
    print("\(padded) \(String(format: "%6.2f", t))s  \(fmt(Double(n) / t)) \(unit)/s   cpu \(String(format: "%.2f", lastCPU))s: \(fmt(Double(n) / lastCPU)) \(unit)/cpu-s\(note.isEmpty ? "" : "  (" + note + ")")")
}

func fmt(_ x: Double) -> String {
    let n = Int(x.rounded())
    var s = String(n)
    var i = s.count - 3
    while i > 0 {
        s.insert(",", at: s.index(s.startIndex, offsetBy: i))
        i -= 3
    }
    return s
}

func fileBytes(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
}

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-store-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

print("store-bench: \(fmt(Double(rows))) rows, transactions of \(fmt(Double(batch))), \(fmt(Double(users))) users, \(FeatureSchema.columns.count) feature columns (+ user_id, event_ts, updated_at), \(dims)-float embedding changing on 1 event in 8")

// Generation alone, to know how much of each figure is the benchmark's own work.
if phases.contains("gen") {
    let maker = RowMaker(users: users)
    var sink = 0
    let t = seconds { for i in 0..<rows { sink &+= maker.make(i).row.values.count } }
    report("row generation only", t, rows, "rows", "included in every figure below")
    if sink == 42 { print("") }
}

// 1. feature_history through the store (raw prepared statements).
let historyPath = dir + "/history.db"
if phases.contains("history") {
    let store = try FeatureStore.open(path: historyPath, mode: .mustCreate)
    let maker = RowMaker(users: users)
    let t = try seconds {
        var i = 0
        while i < rows {
            let end = min(rows, i + batch)
            try store.transaction { b in
                while i < end {
                    try b.insertHistory(maker.make(i).row)
                    i += 1
                }
            }
        }
    }
    report("feature_history, store API", t, rows)
    try store.read { db in _ = try Row.fetchAll(db, sql: "SELECT 1") }
    try store.close()
    let queue = try DatabaseQueue(path: historyPath)
    try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    let (stored, total) = try queue.read { db in
        (try Int.fetchOne(db, sql: "SELECT count(*) FROM feature_history WHERE search_embedding IS NOT NULL")!,
         try Int.fetchOne(db, sql: "SELECT count(*) FROM feature_history")!)
    }
    try queue.close()
    let bytes = fileBytes(historyPath)
    print("  size: \(fmt(Double(bytes) / 1e6)) MB for \(fmt(Double(total))) history rows = \(String(format: "%.0f", Double(bytes) / Double(total) * 1e6 / 1e6)) MB per 1M rows (\(String(format: "%.0f", Double(bytes) / Double(total))) bytes/row); embeddings stored in \(fmt(Double(stored))) rows")
}

// 1b. SQLite's own floor: the same shape of rows made by SQL inside SQLite
// (no binding at all), in transactions of the same size.
if phases.contains("floor") {
    let path = dir + "/floor.db"
    try FeatureStore.open(path: path, mode: .mustCreate).close()
    var config = Configuration()
    config.prepareDatabase { db in
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        try db.execute(sql: "PRAGMA cache_size = -65536")
        try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
    }
    let queue = try DatabaseQueue(path: path, configuration: config)
    var names = ["row_id", "user_id"]
    var exprs = ["?1 + i", "'u' || (abs(random()) % \(users))"]
    for column in FeatureSchema.columns {
        names.append(column.name)
        switch column.type {
        case .integer: exprs.append("abs(random()) % 20")
        case .real: exprs.append("(abs(random()) % 1000000) / 10000.0")
        case .text: exprs.append("'content.start'")
        case .vector:
            exprs.append("CASE WHEN abs(random()) % 8 = 0 THEN randomblob(\(dims * 4)) END")
            names.append(column.name + "_row")
            exprs.append("?1 + i")
        }
    }
    names += ["event_ts", "updated_at"]
    exprs += ["1795600000000 + (?1 + i) * 86", "1795600000250 + (?1 + i) * 86"]
    let sql = """
        WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?2)
        INSERT INTO feature_history (\(names.joined(separator: ", "))) SELECT \(exprs.joined(separator: ", ")) FROM s
        """
    let t = try seconds {
        var i = 0
        while i < rows {
            let n = min(batch, rows - i)
            try queue.inTransaction { db in
                try db.execute(sql: sql, arguments: [i + 1, n])
                return .commit
            }
            i += n
        }
    }
    try queue.close()
    report("feature_history, SQL only", t, rows, "rows", "SQLite's floor: rows made inside SQLite, no binding")
}

// 2. The same rows through GRDB's cached statements, for comparison.
if phases.contains("grdb") {
    let path = dir + "/grdb.db"
    try FeatureStore.open(path: path, mode: .mustCreate).close()
    var config = Configuration()
    config.prepareDatabase { db in
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        try db.execute(sql: "PRAGMA cache_size = -65536")
    }
    let queue = try DatabaseQueue(path: path, configuration: config)
    var names = ["row_id", "user_id"]
    for column in FeatureSchema.columns {
        names.append(column.name)
        if column.type == .vector { names.append(column.name + "_row") }
    }
    names += ["event_ts", "updated_at"]
    let sql = "INSERT INTO feature_history (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))"
    let maker = RowMaker(users: users)
    var lastVectorRow = [Int64?](repeating: nil, count: users)
    let t = try seconds {
        var i = 0
        while i < rows {
            let end = min(rows, i + batch)
            try queue.inTransaction { db in
                let statement = try db.cachedStatement(sql: sql)
                while i < end {
                    let (row, u, changed) = maker.make(i)
                    let rowId = Int64(i + 1)
                    var values: [(any DatabaseValueConvertible)?] = [rowId, row.userId]
                    for (k, column) in FeatureSchema.columns.enumerated() {
                        switch row.values[k] {
                        case .null: values.append(nil)
                        case .integer(let v): values.append(v)
                        case .real(let v): values.append(v)
                        case .text(let v): values.append(v)
                        case .vector(let v):
                            if changed || lastVectorRow[u] == nil {
                                values.append(v.withUnsafeBytes { Data($0) })
                                lastVectorRow[u] = rowId
                            } else {
                                values.append(nil)
                            }
                            values.append(lastVectorRow[u])
                        }
                        _ = column
                    }
                    values.append(row.eventTs)
                    values.append(row.updatedAt)
                    try statement.execute(arguments: StatementArguments(values))
                    i += 1
                }
                return .commit
            }
        }
    }
    try queue.close()
    report("feature_history, GRDB cached", t, rows, "rows", "same SQL and rows, arguments as StatementArguments")
}

// 3. Upserts into features (most rows replace an existing user's row).
if phases.contains("upsert") {
    let store = try FeatureStore.open(path: dir + "/upsert.db", mode: .mustCreate)
    let maker = RowMaker(users: users)
    let t = try seconds {
        var i = 0
        while i < rows {
            let end = min(rows, i + batch)
            try store.transaction { b in
                while i < end {
                    try b.upsertFeatures(maker.make(i).row)
                    i += 1
                }
            }
        }
    }
    try store.close()
    report("features upsert, store API", t, rows)
}

// 4. History rows with their events (the events view reads them).
if phases.contains("events") {
    let store = try FeatureStore.open(path: dir + "/events.db", mode: .mustCreate)
    let maker = RowMaker(users: users)
    let t = try seconds {
        var i = 0
        while i < rows {
            let end = min(rows, i + batch)
            try store.transaction { b in
                while i < end {
                    let row = maker.make(i).row
                    try b.insertHistory(row, event: event(of: row, i))
                    i += 1
                }
            }
        }
    }
    try store.close()
    report("history rows with their events", t, rows)
}

// 5. A featurize-shaped mix per event: a history row with its event, the
// user's online row once per batch, a user-state blob once per batch, a
// finalised window every 4th event, a sequence id lookup; checkpoint per batch.
if phases.contains("mix") {
    let store = try FeatureStore.open(path: dir + "/mix.db", mode: .mustCreate)
    let maker = RowMaker(users: users)
    let state = [UInt8](repeating: 1, count: 64)
    let t = try seconds {
        var i = 0
        while i < rows {
            let end = min(rows, i + batch)
            try store.transaction { b in
                var latest: [Int: FeatureRow] = [:]
                while i < end {
                    let (row, u, _) = maker.make(i)
                    try b.insertHistory(row, event: event(of: row, i))
                    _ = try b.sequenceId(forUser: row.userId)
                    if i % 4 == 0 {
                        try b.insertWindow(WindowCount(userId: row.userId, event: "content.start", windowStart: Int64(i) * 300_000, windowEnd: Int64(i) * 300_000 + 600_000, count: 2))
                    }
                    latest[u] = row
                    i += 1
                }
                for (_, row) in latest {
                    try b.upsertFeatures(row)
                    try b.putUserState(row.userId, state)
                }
                try b.setCheckpoint("position", Array(String(i).utf8))
            }
        }
    }
    try store.close()
    report("featurize-shaped mix", t, rows, "events", "history + events + ids + windows/4 + upsert and state per user per batch")
}
