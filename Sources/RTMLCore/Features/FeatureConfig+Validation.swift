extension FeatureConfig {
    /// What is wrong with these settings, naming the flag, or nil when they
    /// are usable. The engine refuses a config with a problem.
    public var problem: String? {
        if windowMillis <= 0 { return "'--window' must be longer than 0" }
        if slideMillis <= 0 { return "'--slide' must be longer than 0" }
        if watermarkDelayMillis < 0 { return "'--watermark' must not be negative" }
        if sessionGapMillis <= 0 { return "'--session-gap' must be longer than 0" }
        if bounceThresholdMillis < 0 { return "'--bounce-threshold' must not be negative" }
        if searchMemoryMillis <= 0 { return "'--search-memory' must be longer than 0" }
        if trailingMillis <= 0 { return "the trailing span of the *_10m features must be longer than 0" }
        if embeddingDimensions < 1 || embeddingDimensions > 65_536 {
            return "the hashing embedding needs 1 to 65536 dimensions, not \(embeddingDimensions)"
        }
        return nil
    }

    /// How long a user's past can still change a feature: the longest of the
    /// session gap, the trailing span and the search memory.
    var memorySpanMillis: Int64 {
        max(sessionGapMillis, trailingMillis, searchMemoryMillis, 1)
    }
}
