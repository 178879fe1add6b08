/// The settings of featurize that shape the features (its flags).
public struct FeatureConfig: Sendable, Equatable {
    /// `--window`: length of the sliding windows counted into `user_windows`.
    public var windowMillis: Int64 = 600_000
    /// `--slide`: how far apart window starts are.
    public var slideMillis: Int64 = 300_000
    /// `--window-offset`: windows start at epoch + offset + k·slide.
    public var windowOffsetMillis: Int64 = 0
    /// `--watermark`: delay behind the largest event time seen.
    public var watermarkDelayMillis: Int64 = 600_000
    /// `--session-gap`: a session ends after this long without events.
    public var sessionGapMillis: Int64 = 1_800_000
    /// `--bounce-threshold`: an exit before this position is a bounce.
    public var bounceThresholdMillis: Int64 = 60_000
    /// `--search-memory`: searches older than this leave the search embedding.
    public var searchMemoryMillis: Int64 = 1_800_000
    /// Trailing span of the `*_10m` features (fixed: it is in their names).
    public var trailingMillis: Int64 = 600_000
    /// Dimensions of the hashing-trick search embedding (without `--embeddings`).
    public var embeddingDimensions = 64

    public init() {}
}

/// The content categories of the app (DESIGN.md); per-category features are
/// computed for each, and the simulator draws content from them.
public enum ContentCategory: Int, CaseIterable, Sendable {
    case sleep = 0, focus, move, meditate, stress

    public var name: String {
        switch self {
        case .sleep: "sleep"
        case .focus: "focus"
        case .move: "move"
        case .meditate: "meditate"
        case .stress: "stress"
        }
    }

    public init?(name: String) {
        guard let c = ContentCategory.allCases.first(where: { $0.name == name }) else { return nil }
        self = c
    }
}
