/// The client a user's app runs on.
public enum Platform: Int, Sendable {
    case ios = 0, android, web

    var name: StaticString {
        switch self {
        case .ios: return "ios"
        case .android: return "android"
        case .web: return "web"
        }
    }
}

/// A simulated user's latent traits: what collaborative filtering should recover.
///
/// Derived from `(seed, user number)` alone, so it can be recomputed anywhere
/// (the simulator does not keep users in memory, and tests use it as ground truth).
public struct UserProfile: Sendable {
    /// 1-based; the id is `u<number>` (or an `anonymousId` for anonymous users).
    public let number: Int
    /// Category affinities a_u (log-weights), indexed by `ContentCategory.rawValue`.
    public let affinity: [Double]
    /// The category that got the +1.5 favourite boost in `affinity`.
    public let favorite: ContentCategory
    /// Taste in the item style space.
    public let style: Style
    public let platform: Platform
    /// Sends `biometric` samples from a wearable.
    public let wearable: Bool
    /// Known only by `anonymousId` (not logged in).
    public let anonymous: Bool
    /// Offset of the device clock from true time, used when the app sends
    /// `sentAt` + `originalTimestamp` instead of `timestamp`.
    public let clockSkewMs: Int64

    /// Baseline log-weights of the categories across the population.
    static let categoryPrior: [Double] = [0.3, -0.1, -0.3, 0.1, 0.0]
    /// Chance of each category being a user's favourite.
    static let favoriteShares: [Double] = [0.28, 0.18, 0.16, 0.22, 0.16]

    public init(seed: UInt64, number: Int) {
        var rng = Xoshiro256StarStar(seed: seed, UInt64(number), 0, 1)
        self.number = number
        var u = rng.unit()
        var fav = 4
        for (i, share) in Self.favoriteShares.enumerated() {
            if u < share { fav = i; break }
            u -= share
        }
        favorite = ContentCategory(rawValue: fav)!
        var a: [Double] = []
        a.reserveCapacity(5)
        for c in 0..<5 {
            a.append(Self.categoryPrior[c] + 0.7 * rng.gaussian() + (c == fav ? 1.5 : 0))
        }
        affinity = a
        style = Style(x: rng.gaussian(), y: rng.gaussian(), z: rng.gaussian())
        let p = rng.unit()
        platform = p < 0.55 ? .ios : (p < 0.90 ? .android : .web)
        wearable = rng.chance(0.30)
        anonymous = rng.chance(0.05)
        let skewSeconds = rng.logUniform(2, 900)
        clockSkewMs = Int64(skewSeconds * 1000) * (rng.chance(0.5) ? 1 : -1)
    }

    /// The stable `anonymousId` of an anonymous user (32 hex digits when written).
    public static func anonymousKey(seed: UInt64, number: Int) -> (UInt64, UInt64) {
        var rng = Xoshiro256StarStar(seed: seed, UInt64(number), 0, 5)
        return (rng.next(), rng.next())
    }
}

/// How preferences and real-time context combine into choices (see docs/simulator.md).
public enum Preferences {
    /// Time-of-day log-weights H[hour][category] added to every category choice.
    public static let timeOfDay: [[Double]] = (0..<24).map { hour in
        switch hour {
        case 22, 23, 0, 1, 2, 3, 4: return [2.0, -1.0, -1.5, 0.3, 0.0]   // night
        case 5, 6, 7, 8: return [-1.0, -0.3, 1.5, 0.7, 0.0]             // morning
        case 9...16: return [-1.5, 1.5, -0.3, 0.0, 0.5]                 // working hours
        case 17, 18, 19: return [-0.5, -0.5, 0.8, 0.3, 0.7]             // early evening
        default: return [0.8, -0.5, -0.8, 0.8, 0.3]                     // 20–21, winding down
        }
    }

    /// Added to the searched goal's category for starts within 30 minutes of the search.
    public static let searchBoost = 2.5
    public static let searchMemoryMs: Int64 = 30 * 60_000
    /// Added to `move` for starts in a session with a rising biometric trend.
    public static let risingBiometricBoost = 2.0
    /// Subtracted from `sleep` for each sleep bounce earlier in the session.
    public static let sleepBouncePenalty = 1.2
    /// Weight of the style match in item choice and in play outcomes.
    public static let styleWeight = 0.8

    /// Samples a category from softmax(logits).
    static func sample(_ logits: (Double, Double, Double, Double, Double), _ rng: inout Xoshiro256StarStar) -> ContentCategory {
        let m = max(max(max(logits.0, logits.1), max(logits.2, logits.3)), logits.4)
        let w0 = DetMath.exp(logits.0 - m), w1 = DetMath.exp(logits.1 - m)
        let w2 = DetMath.exp(logits.2 - m), w3 = DetMath.exp(logits.3 - m)
        let w4 = DetMath.exp(logits.4 - m)
        var u = rng.unit() * (w0 + w1 + w2 + w3 + w4)
        if u < w0 { return .sleep }
        u -= w0
        if u < w1 { return .focus }
        u -= w1
        if u < w2 { return .move }
        u -= w2
        if u < w3 { return .meditate }
        return .stress
    }

    /// The unnormalised weight of an item for a user: P(i | category) ∝ exp(b_i + styleWeight · s_u·s_i).
    @inline(__always)
    static func itemWeight(_ item: CatalogItem, user: UserProfile) -> Double {
        DetMath.exp(item.bias + styleWeight * user.style.dot(item.style))
    }
}
