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

    /// The category whose name is exactly these UTF-8 bytes (no String made):
    /// the names differ in length or first letter, so one comparison decides.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        let c: ContentCategory
        switch (bytes.count, bytes.first) {
        case (5, UInt8(ascii: "s")?): c = .sleep
        case (6, UInt8(ascii: "s")?): c = .stress
        case (5, UInt8(ascii: "f")?): c = .focus
        case (4, UInt8(ascii: "m")?): c = .move
        case (8, UInt8(ascii: "m")?): c = .meditate
        default: return nil
        }
        guard c.name.utf8.elementsEqual(bytes) else { return nil }
        self = c
    }
}
