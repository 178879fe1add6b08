/// When each user opens the app during the day.
///
/// The plan depends only on `(seed, user)`, so the driver can recompute it in
/// every time slice instead of keeping all users in memory.
enum SessionPlanner {
    /// Relative rate of session starts per UTC hour (all users live on UTC):
    /// peaks before work, at lunch, and in the evening before bed.
    static let hourWeights: [Double] = [
        3, 1.5, 0.8, 0.5, 0.5, 1, 4, 7, 7, 5, 4, 4,
        6, 5, 4, 4, 4, 5, 6, 6, 7, 8, 8, 6,
    ]
    static let hourCDF: [Double] = {
        let total = hourWeights.reduce(0, +)
        var acc = 0.0
        return hourWeights.map { acc += $0; return acc / total }
    }()

    /// Share of users who open the app at all that day.
    static let activeShare = 0.85
    /// Sessions of one user start at least this far apart.
    static let minSpacingMs: Int64 = 75 * 60_000
    /// A session ends (interrupting any play) this long before the next one's
    /// biometric warm-up, so consecutive sessions are separated by more than
    /// the 30-minute session gap.
    static let quietBeforeNextMs: Int64 = 35 * 60_000 + Biometrics.maxWarmupMs

    /// Fills `starts` with the user's session start times (ms, ascending, within the day).
    static func plan(seed: UInt64, user: Int, dayStart: Int64, into starts: inout [Int64]) {
        starts.removeAll(keepingCapacity: true)
        var rng = Xoshiro256StarStar(seed: seed, UInt64(user), 0, 2)
        guard rng.chance(activeShare) else { return }
        let p = rng.uniform(0.25, 0.65)
        var n = 1
        for _ in 0..<16 where rng.chance(p) { n += 1 }
        for _ in 0..<n {
            let u = rng.unit()
            var hour = 0
            while hour < 23 && u >= hourCDF[hour] { hour += 1 }
            starts.append(dayStart + Int64(hour) * 3_600_000 + Int64(rng.below(3_600_000)))
        }
        starts.sort()
        for i in 1..<starts.count where starts[i] < starts[i - 1] + minSpacingMs {
            starts[i] = starts[i - 1] + minSpacingMs
        }
        while let last = starts.last, last >= dayStart + EventTime.msPerDay { starts.removeLast() }
    }

    /// The latest time the session starting at `starts[index]` may last until.
    static func limit(of index: Int, in starts: [Int64]) -> Int64 {
        index + 1 < starts.count ? starts[index + 1] - quietBeforeNextMs : starts[index] + 3 * 3_600_000
    }
}
