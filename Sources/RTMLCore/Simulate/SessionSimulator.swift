/// Plays out one app session of one user: what they search, start, finish or
/// abandon, and what their wearable reports. Writes events in event time with
/// no delivery details (those are `Delivery`'s job).
///
/// The choice model is spelled out in docs/simulator.md; constants live in
/// `Preferences`, `Biometrics` and `QueryVocabulary`.
struct SessionSimulator {
    let seed: UInt64
    let catalog: Catalog
    /// The session's events, reused between sessions.
    var events: [SimEvent] = []
    private var bounced: [Int] = []
    /// Item weights of the user last simulated, filled per category on first use:
    /// a user's sessions in one slice are simulated back to back.
    private var weights: [Double]
    private var weightsUser = -1
    private var weightsReady: UInt8 = 0
    private let timeOfDay = Preferences.timeOfDay

    static let searchChance = 0.35
    static let maxPlays = 12

    init(seed: UInt64, catalog: Catalog) {
        self.seed = seed
        self.catalog = catalog
        events.reserveCapacity(128)
        weights = [Double](repeating: 0, count: catalog.items.count)
    }

    /// Samples an item of `category` with P(i) ∝ `Preferences.itemWeight`, never one
    /// bounced earlier in the session (those get weight zero: the exact conditional).
    private mutating func sampleItem(_ category: ContentCategory, user: UserProfile, _ rng: inout Xoshiro256StarStar) -> Int {
        if weightsUser != user.number {
            weightsUser = user.number
            weightsReady = 0
        }
        let candidates = catalog.byCategory[category.rawValue]
        let bit = UInt8(1) << UInt8(category.rawValue)
        if weightsReady & bit == 0 {
            weightsReady |= bit
            for index in candidates {
                weights[index] = Preferences.itemWeight(catalog.items[index], user: user)
            }
        }
        var total = 0.0
        for index in candidates where !bounced.contains(index) { total += weights[index] }
        var u = rng.unit() * total
        var chosen = candidates[0]
        for index in candidates where !bounced.contains(index) {
            chosen = index
            if u < weights[index] { break }
            u -= weights[index]
        }
        return chosen
    }

    @inline(__always)
    static func hour(_ t: Int64) -> Int {
        Int((t % EventTime.msPerDay + EventTime.msPerDay) % EventTime.msPerDay / 3_600_000)
    }

    mutating func simulate(user: UserProfile, session: Int, start: Int64, limit: Int64) {
        events.removeAll(keepingCapacity: true)
        bounced.removeAll(keepingCapacity: true)
        var rng = Xoshiro256StarStar(seed: seed, UInt64(user.number), UInt64(session + 1), 3)
        let base = Int32(session << 12)
        let anonymous: UInt8 = user.anonymous ? SimEvent.anonymous : 0
        func emit(_ kind: EventKind, _ time: Int64, _ a: Int32, _ b: Int32) {
            events.append(SimEvent(
                receivedAt: time, eventTime: time, messageId: 0, user: Int32(user.number),
                seq: base | Int32(events.count), a: a, b: b, kind: kind, flags: anonymous))
        }

        let rising = user.wearable && rng.chance(Biometrics.activeChance(hour: Self.hour(start)))
        emit(.appOpen, start, Int32(user.platform.rawValue), 0)
        var t = start + Int64(rng.int(500...3000))

        var goal: ContentCategory?
        var searchedAt: Int64 = 0
        if rng.chance(Self.searchChance) {
            let g: ContentCategory
            if rng.chance(0.5) {
                let h = timeOfDay[Self.hour(t)]
                let a = user.affinity
                g = Preferences.sample((a[0] + h[0], a[1] + h[1], a[2] + h[2], a[3] + h[3], a[4] + h[4]), &rng)
            } else {
                g = ContentCategory(rawValue: rng.below(5))!
            }
            t += Int64(rng.int(5000...40000))
            let query = QueryVocabulary.make(goal: g, &rng)
            emit(.search, t, query.phrase, query.affixes)
            goal = g
            searchedAt = t
        }

        let meanAffinity = user.affinity.reduce(0, +) / 5
        var sleepBounces = 0.0
        for _ in 0..<Self.maxPlays {
            t += Int64(rng.int(3000...30000))
            if t >= limit - 60_000 { break }
            let h = timeOfDay[Self.hour(t)]
            let a = user.affinity
            var l = (a[0] + h[0], a[1] + h[1], a[2] + h[2], a[3] + h[3], a[4] + h[4])
            if let goal, t - searchedAt <= Preferences.searchMemoryMs {
                switch goal {
                case .sleep: l.0 += Preferences.searchBoost
                case .focus: l.1 += Preferences.searchBoost
                case .move: l.2 += Preferences.searchBoost
                case .meditate: l.3 += Preferences.searchBoost
                case .stress: l.4 += Preferences.searchBoost
                }
            }
            if rising { l.2 += Preferences.risingBiometricBoost }
            l.0 -= Preferences.sleepBouncePenalty * sleepBounces
            let category = Preferences.sample(l, &rng)
            let index = sampleItem(category, user: user, &rng)
            let item = catalog.items[index]
            emit(.contentStart, t, Int32(index), Int32(item.durationSec))

            // Play outcome: a good fit (category affinity above the user's mean,
            // matching style, popular item) is completed more and bounced less.
            let fit = user.affinity[category.rawValue] - meanAffinity
                + Preferences.styleWeight * user.style.dot(item.style) + 0.5 * item.bias
            let q = DetMath.sigmoid(fit)
            let pBounce = 0.06 + 0.40 * (1 - q)
            let pComplete = (1 - pBounce) * (0.2 + 0.6 * q)
            let u = rng.unit()
            var position: Int
            var complete = false
            if u < pBounce {
                position = rng.int(3...59)
            } else if u < pBounce + pComplete {
                position = item.durationSec
                complete = true
            } else {
                position = rng.int(60...max(61, item.durationSec * 9 / 10))
            }
            var end = t + Int64(position) * 1000 + Int64(rng.below(1000))
            if end > limit {
                // The user walked away: the play stops where the session ends.
                end = limit
                position = Int((limit - t) / 1000)
                complete = false
            }
            if complete {
                var rating: Int32 = 0
                if rng.chance(0.3) {
                    rating = Int32(min(5, max(1, (3 + 4 * (q - 0.5) + rng.uniform(-1, 1)).rounded())))
                }
                emit(.contentComplete, end, Int32(index), rating)
            } else {
                emit(.contentExit, end, Int32(index), Int32(position))
            }
            let bounce = !complete && position < 60
            if bounce {
                bounced.append(index)
                if category == .sleep { sleepBounces += 1 }
            }
            t = end
            if !rng.chance(bounce ? 0.9 : (complete ? 0.7 : 0.65)) { break }
        }

        if user.wearable {
            Biometrics.samples(rising: rising, sessionStart: start, sessionEnd: t, &rng) { time, steps, hr in
                emit(.biometric, time, steps, hr)
            }
        }
    }
}
