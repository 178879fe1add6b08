extension ContentCategory {
    /// Playable lengths in seconds, by category (sleep stories run long, stress SOS sessions short).
    var durationRange: ClosedRange<Int> {
        switch self {
        case .sleep: return 1200...3600
        case .focus: return 900...3000
        case .move: return 300...1800
        case .meditate: return 300...1200
        case .stress: return 180...600
        }
    }
}

/// A point in the three-dimensional "style" space (voice, music, nature and so on)
/// in which users and items meet.
public struct Style: Sendable {
    public var x: Double, y: Double, z: Double

    @inline(__always)
    public func dot(_ o: Style) -> Double { x * o.x + y * o.y + z * o.z }
}

/// One piece of content.
public struct CatalogItem: Sendable {
    /// 1-based; the content id is `c<number>`.
    public let number: Int
    public let category: ContentCategory
    public let durationSec: Int
    /// Popularity: log-weight added for every user.
    public let bias: Double
    public let style: Style
}

/// The content catalog: 300 items, 60 per category.
///
/// The catalog is the same for every seed (it has its own fixed seed), so
/// content ids mean the same thing across simulated days; users and their
/// behaviour depend on `--seed`.
public struct Catalog: Sendable {
    public static let itemsPerCategory = 60
    public static let shared = Catalog()

    public let items: [CatalogItem]
    /// Item indices (into `items`) of each category, in id order.
    public let byCategory: [[Int]]

    init() {
        var rng = Xoshiro256StarStar(seed: 0xC0_7A_10_6, 0)
        let count = Self.itemsPerCategory * ContentCategory.allCases.count
        // Exactly 60 per category, in a shuffled id order (Fisher–Yates).
        var categories = (0..<count).map { ContentCategory(rawValue: $0 % 5)! }
        for i in stride(from: count - 1, to: 0, by: -1) {
            categories.swapAt(i, rng.below(i + 1))
        }
        var items: [CatalogItem] = []
        var byCategory = Array(repeating: [Int](), count: 5)
        for i in 0..<count {
            let c = categories[i]
            let minutes = c.durationRange.lowerBound / 60 + rng.below(c.durationRange.count / 60 + 1)
            let item = CatalogItem(
                number: i + 1, category: c, durationSec: minutes * 60,
                bias: 0.6 * rng.gaussian(),
                style: Style(x: rng.gaussian(), y: rng.gaussian(), z: rng.gaussian())
            )
            byCategory[c.rawValue].append(items.count)
            items.append(item)
        }
        self.items = items
        self.byCategory = byCategory
    }
}
