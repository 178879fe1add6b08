import Foundation

/// What featurize counted. As in every stage, each non-blank input line is
/// accepted, rejected (late events included) or a duplicate:
/// `read == accepted + rejected + duplicates + skipped` (skipped: other
/// partitions' users, with `--partition`). Counters survive a crash:
/// they are part of the checkpoint, so a resumed run reports the totals an
/// uninterrupted run would.
public struct FeaturizeStats: Sendable {
    public var read = 0
    public var accepted = 0
    public var rejected = 0
    /// featurize does not deduplicate (ingest does); kept for the identity.
    public var duplicates = 0
    public var late = 0
    /// Lines of other partitions' users (`--partition`).
    public var skipped = 0
    public var blank = 0
    public var rejectedByReason: [RejectReason: Int] = [:]
    public var historyRows = 0
    public var windowsWritten = 0
    public var jobs = 0
    public var jobsByTrigger: [String: Int] = [:]
    public var microBatches = 0
    public var ignoredProperties = 0

    // Of this process only (not carried across a resume).
    public var usersTouched = 0
    public var resumedAtLine = 0
    public var elapsedSeconds = 0.0
    /// CPU seconds of the store's writer thread (SQLite's share of the run).
    public var storeThreadCPUSeconds = 0.0
    /// The writer thread's CPU seconds by what it wrote (`StoreWriter.Part`).
    public var storeCPUByPart: [(part: String, seconds: Double)] = []
    /// CPU seconds of the thread copying the WAL into the store (`BackgroundCheckpointer`).
    public var checkpointThreadCPUSeconds = 0.0
    /// Whether SQLite took rtml's settings (`SQLiteSetup`): connections
    /// without a mutex each, allocations not counted.
    public var sqliteMultithread = false
    /// CPU seconds of the driver thread (read, parse, engine, jobs), index build excluded.
    public var driverCPUSeconds = 0.0
    /// Seconds the driver waited for the writer (a full queue, the last commit).
    public var storeWaitSeconds = 0.0
    /// Seconds building the read indexes at the end of the input.
    public var indexSeconds = 0.0
    /// SQLite transactions of this run (several micro-batches may share one).
    public var transactions = 0
    public var usersInMemory = 0
    public var openWindows = 0
    public var usersInStore = 0
    public var watermark: Int64 = .min
    public var store = ""

    public init() {}

    /// The counters a checkpoint carries.
    var checkpointJSON: JSONValue {
        .object([
            ("read", .int(read)), ("accepted", .int(accepted)), ("rejected", .int(rejected)),
            ("late", .int(late)), ("skipped", .int(skipped)), ("blank", .int(blank)),
            ("rejected_by_reason", .object(RejectReason.allCases.compactMap { r in rejectedByReason[r].map { (r.rawValue, .int($0)) } })),
            ("history_rows", .int(historyRows)), ("windows_written", .int(windowsWritten)),
            ("jobs", .int(jobs)), ("jobs_by_trigger", .object(jobsByTrigger.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("micro_batches", .int(microBatches)), ("ignored_properties", .int(ignoredProperties)),
        ])
    }

    mutating func restore(from object: [String: Any]) {
        func int(_ key: String) -> Int { object[key] as? Int ?? 0 }
        read = int("read"); accepted = int("accepted"); rejected = int("rejected")
        late = int("late"); skipped = int("skipped"); blank = int("blank")
        historyRows = int("history_rows"); windowsWritten = int("windows_written")
        jobs = int("jobs"); microBatches = int("micro_batches"); ignoredProperties = int("ignored_properties")
        for (key, value) in object["rejected_by_reason"] as? [String: Int] ?? [:] {
            if let reason = RejectReason(rawValue: key) { rejectedByReason[reason] = value }
        }
        jobsByTrigger = object["jobs_by_trigger"] as? [String: Int] ?? [:]
    }

    /// The stats file: the checkpoint's counters (one list, so the two never
    /// drift apart) with `duplicates` and this process's figures added.
    public var json: JSONValue {
        guard case .object(let counters) = checkpointJSON else { return checkpointJSON }
        return .object([("stage", .string("featurize"))] + counters.prefix(3) + [("duplicates", .int(duplicates))] + counters.dropFirst(3) + [
            ("users_touched", .int(usersTouched)), ("users_in_store", .int(usersInStore)),
            ("users_in_memory", .int(usersInMemory)), ("open_windows", .int(openWindows)),
            ("watermark", watermark == .min ? .null : watermark == .max ? .string("+inf") : .string(EventTime.formatRFC3339(max(0, watermark)))),
            ("resumed_at_line", .int(resumedAtLine)),
            ("store", .string(store)),
            ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
            ("driver_thread_cpu_s", .double((driverCPUSeconds * 1000).rounded() / 1000)),
            ("store_thread_cpu_s", .double((storeThreadCPUSeconds * 1000).rounded() / 1000)),
            ("store_thread_cpu_s_by_part", .object(storeCPUByPart.map { ($0.part, .double(($0.seconds * 1000).rounded() / 1000)) })),
            ("checkpoint_thread_cpu_s", .double((checkpointThreadCPUSeconds * 1000).rounded() / 1000)),
            ("store_wait_s", .double((storeWaitSeconds * 1000).rounded() / 1000)),
            ("index_build_s", .double((indexSeconds * 1000).rounded() / 1000)),
            ("transactions", .int(transactions)),
            ("sqlite_multithread", .bool(sqliteMultithread)),
            ("events_per_s", .int(elapsedSeconds > 0 ? Int(Double(read) / elapsedSeconds) : 0)),
        ])
    }

    public var summary: String {
        let rate = elapsedSeconds > 0 ? Double(read) / elapsedSeconds : 0
        var text = "featurize: read \(Format.count(read)) events in \(Format.seconds(elapsedSeconds)) (\(Format.rate(rate))/s): "
        text += "\(Format.count(accepted)) accepted, \(Format.count(rejected)) rejected (\(Format.count(late)) late)"
        if skipped > 0 { text += ", \(Format.count(skipped)) skipped (other partitions)" }
        text += "\n  \(Format.count(windowsWritten)) windows written, \(Format.count(jobs)) jobs, \(Format.count(microBatches)) micro-batches, "
        text += "\(Format.count(usersTouched)) users touched, \(Format.count(usersInStore)) users in \(store)"
        if resumedAtLine > 0 { text += "\n  resumed after line \(Format.count(resumedAtLine)) (committed by an earlier run)" }
        return text
    }
}
