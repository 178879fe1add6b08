/// Settings of the featurize stage beyond the feature definitions.
public struct FeaturizeOptions: Sendable {
    public var config = FeatureConfig()
    /// Events per micro-batch (one SQLite transaction each).
    public var batchEvents = 5000
    /// Input lines the store's writer thread may have queued but not yet
    /// committed (at least one micro-batch). Under load its transactions grow
    /// to this size; after a crash, the jobs of at most this many lines (plus
    /// the batch in progress) can appear again.
    public var writerQueueLines = 65536
    /// The engine's state (users, sessions, open windows) is checkpointed at
    /// the first commit after this many input lines, or after
    /// `stateEverySeconds`, and at the end; other commits carry rows and the
    /// input position only. A restarted run re-reads the lines since the
    /// last state checkpoint to rebuild the state, writing nothing for them
    /// (docs/features.md, "Crashes").
    public var stateEveryLines = 250_000
    public var stateEverySeconds: Double = 10
    /// A quiet live pipe commits what it holds after this many seconds.
    public var batchInterval: Double = 1.0
    /// At end of input, finalise every open window (watermark to +infinity).
    public var flushAtEnd = true
    /// Events whose trigger starts a prediction job.
    public var triggers: Set<String> = FeaturizeOptions.defaultTriggers
    public var maxLineBytes = 1 << 20
    /// Keep only this partition's users; the other lines are counted as skipped.
    public var partition: UserPartition?
    /// Test hook (`RTML_FEATURIZE_KILL`): SIGKILL the process at a chosen point.
    public var killPoint: KillPoint?

    public static let defaultTriggers: Set<String> = ["search", "content.complete", "content.exit", "biometric.trend"]
    public static let allTriggers: [String] = ["search", "content.complete", "content.exit", "content.start", "app.open", "biometric.trend"]

    public init() {}

    /// Where the crash tests kill featurize: before the Nth commit's
    /// transaction, right after it, or after the Nth input line.
    public enum KillPoint: Equatable, Sendable {
        case beforeCommit(Int)
        case afterCommit(Int)
        case afterLine(Int)

        /// `before-commit:N`, `after-commit:N` or `after-line:N`.
        public init?(_ text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let n = Int(parts[1]), n > 0 else { return nil }
            switch parts[0] {
            case "before-commit": self = .beforeCommit(n)
            case "after-commit": self = .afterCommit(n)
            case "after-line": self = .afterLine(n)
            default: return nil
            }
        }
    }
}
