/// What to simulate: the command line of `rtml simulate`, validated.
public struct SimulationConfig: Sendable {
    public var users: Int
    /// Midnight UTC of the simulated day (ms since the epoch).
    public var dayStart: Int64
    public var seed: UInt64
    public var malformedRate: Double
    public var duplicateRate: Double
    public var lateRate: Double

    /// The day used when `--date` is not given: fixed, so that output never depends on when it runs.
    public static let defaultDate = "2026-11-26"

    public init(
        users: Int = 1000, date: String = SimulationConfig.defaultDate, seed: UInt64 = 1,
        malformedRate: Double = 0, duplicateRate: Double = 0, lateRate: Double = 0
    ) throws {
        guard users >= 0 else { throw RTMLError.usage("'--users' must be 0 or more") }
        guard let start = EventTime.parseDate(date) else {
            throw RTMLError.usage("'--date' must be a real date written YYYY-MM-DD, not \"\(date)\"")
        }
        for (flag, rate) in [("--malformed-rate", malformedRate), ("--duplicate-rate", duplicateRate), ("--late-rate", lateRate)] {
            guard rate >= 0 && rate < 1 else { throw RTMLError.usage("'\(flag)' must be at least 0 and below 1, not \(rate)") }
        }
        self.users = users
        self.dayStart = start
        self.seed = seed
        self.malformedRate = malformedRate
        self.duplicateRate = duplicateRate
        self.lateRate = lateRate
    }
}

/// Generates a day of app events for many users, written in arrival order.
///
/// Streaming: the day is cut into two-hour slices of session start time. For
/// each slice every user's session plan is recomputed from the seed (cheap),
/// the sessions starting in the slice are played out, and their lines are
/// sorted by `receivedAt` and merged with the lines still pending from earlier
/// slices. Lines that no later session can precede
/// (arrival before the next slice's start minus the longest biometric warm-up)
/// are written. Memory holds the lines in flight (about an hour of activity
/// plus pending late deliveries), never the whole day, and no per-user state
/// survives between slices.
public enum DaySimulator {
    static let sliceMs: Int64 = 2 * 3_600_000

    /// Simulates the day and passes the NDJSON bytes to `sink` in chunks.
    public static func run(_ config: SimulationConfig, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> SimulationStats {
        let catalog = Catalog.shared
        let writer = EventWriter(seed: config.seed, catalog: catalog, sink: sink)
        let delivery = Delivery(
            malformedRate: config.malformedRate, duplicateRate: config.duplicateRate, lateRate: config.lateRate)
        var session = SessionSimulator(seed: config.seed, catalog: catalog)
        // Lines generated but not yet written, sorted by arrival; `fresh` collects a
        // slice's new lines, `kept` the merge's leftovers (buffers swap each slice).
        var pending: [SimEvent] = []
        var fresh: [SimEvent] = []
        var kept: [SimEvent] = []
        var starts: [Int64] = []
        var activeUsers = 0
        let slices = EventTime.msPerDay / sliceMs

        for slice in 0..<slices {
            let sliceStart = config.dayStart + slice * sliceMs
            let sliceEnd = sliceStart + sliceMs
            fresh.removeAll(keepingCapacity: true)
            for user in stride(from: 1, through: config.users, by: 1) {
                SessionPlanner.plan(seed: config.seed, user: user, dayStart: config.dayStart, into: &starts)
                if slice == 0 && !starts.isEmpty { activeUsers += 1 }
                guard let last = starts.last, last >= sliceStart, starts[0] < sliceEnd else { continue }
                var profile: UserProfile?
                for (index, start) in starts.enumerated() where start >= sliceStart && start < sliceEnd {
                    let user = profile ?? UserProfile(seed: config.seed, number: user)
                    profile = user
                    session.simulate(user: user, session: index, start: start, limit: SessionPlanner.limit(of: index, in: starts))
                    var rng = Xoshiro256StarStar(seed: config.seed, UInt64(user.number), UInt64(index + 1), 4)
                    for event in session.events {
                        delivery.deliver(event, skewMs: user.clockSkewMs, &rng) { fresh.append($0) }
                    }
                }
            }
            fresh.sort()
            // Later sessions start at or after sliceEnd, and their first line (a
            // biometric warm-up sample) happens at most maxWarmupMs before that.
            let safe = slice == slices - 1 ? Int64.max : sliceEnd - Biometrics.maxWarmupMs
            var i = 0, j = 0
            while i < pending.count || j < fresh.count {
                let next: SimEvent
                if j == fresh.count || (i < pending.count && pending[i] < fresh[j]) {
                    next = pending[i]
                    i += 1
                } else {
                    next = fresh[j]
                    j += 1
                }
                if next.receivedAt < safe {
                    try writer.write(next)
                } else {
                    kept.append(next)
                }
            }
            swap(&pending, &kept)
            kept.removeAll(keepingCapacity: true)
        }
        try writer.finish()
        var stats = writer.stats
        stats.users = config.users
        stats.activeUsers = activeUsers
        stats.events = stats.malformed + stats.kindCounts.reduce(0, +)
        return stats
    }

    /// Simulates the day into an `OutputWriter` (stdout or a file, gzip or not).
    public static func run(_ config: SimulationConfig, to output: OutputWriter) throws -> SimulationStats {
        let stats = try run(config) { try output.write($0) }
        try output.close()
        return stats
    }
}
