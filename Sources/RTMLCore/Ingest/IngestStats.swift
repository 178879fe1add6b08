/// What ingest counted. Every non-blank input line is exactly one of
/// accepted, rejected, duplicate or skipped (another partition's, with
/// `--partition`): `read == accepted + rejected + duplicates + skipped`.
public struct IngestStats: Sendable {
    public struct SourceStats: Sendable {
        public var source: String
        public var lines = 0
        public var bytes = 0
        public var gzip = false
        public var error: String?
    }

    public var read = 0
    public var accepted = 0
    public var rejected = 0
    public var duplicates = 0
    /// Lines of other partitions' users (`--partition`): neither accepted nor rejected.
    public var skipped = 0
    /// The `--partition` of the run, when one was given.
    public var partition: UserPartition?
    /// Empty or whitespace-only lines: not records, so outside `read`.
    public var blank = 0
    public var rejectedByReason: [RejectReason: Int] = [:]
    /// Accepted events by `KnownEvent.allCases` position (an array: this is per line).
    public var acceptedByEvent = [Int](repeating: 0, count: KnownEvent.allCases.count)
    /// Accepted events whose name the built-in features do not use (passed through).
    public var otherEvents = 0
    public var derivedMessageIds = 0
    public var derivedTimestamps = 0
    public var addedReceivedAt = 0
    public var dedupeWindowMillis: Int64 = 0
    public var dedupeKeysHeld = 0
    public var dedupeEvictedForCapacity = 0
    public var sources: [SourceStats] = []
    public var elapsedSeconds = 0.0

    public init() {}

    /// True when the accounting identity holds.
    public var isBalanced: Bool { read == accepted + rejected + duplicates + skipped }

    public var json: JSONValue {
        .object([
            ("stage", .string("ingest")),
            ("read", .int(read)),
            ("accepted", .int(accepted)),
            ("rejected", .int(rejected)),
            ("duplicates", .int(duplicates)),
            ("skipped", .int(skipped)),
            ("partition", partition.map { .string($0.description) } ?? .null),
            ("blank", .int(blank)),
            ("rejected_by_reason", .object(RejectReason.allCases.compactMap { reason in
                rejectedByReason[reason].map { (reason.rawValue, .int($0)) }
            })),
            ("by_event", .object(KnownEvent.allCases.enumerated().map { ($1.rawValue, .int(acceptedByEvent[$0])) } + [("other", .int(otherEvents))])),
            ("derived_message_ids", .int(derivedMessageIds)),
            ("derived_timestamps", .int(derivedTimestamps)),
            ("added_received_at", .int(addedReceivedAt)),
            ("dedupe", .object([
                ("window", .string(DurationText.format(millis: dedupeWindowMillis))),
                ("keys_held", .int(dedupeKeysHeld)),
                ("evicted_for_capacity", .int(dedupeEvictedForCapacity)),
            ])),
            ("inputs", .array(sources.map { s in
                .object([
                    ("source", .string(s.source)),
                    ("lines", .int(s.lines)),
                    ("bytes", .int(s.bytes)),
                    ("gzip", .bool(s.gzip)),
                    ("error", s.error.map(JSONValue.string) ?? .null),
                ])
            })),
            ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
            ("events_per_s", .int(elapsedSeconds > 0 ? Int(Double(read) / elapsedSeconds) : 0)),
        ])
    }

    /// The human summary for stderr.
    public var summary: String {
        let rate = elapsedSeconds > 0 ? Double(read) / elapsedSeconds : 0
        var text = "ingest: read \(Format.count(read)) events in \(Format.seconds(elapsedSeconds)) (\(Format.rate(rate))/s): "
        text += "\(Format.count(accepted)) accepted, \(Format.count(rejected)) rejected, \(Format.count(duplicates)) duplicates"
        if let partition { text += ", \(Format.count(skipped)) skipped (other partitions than \(partition))" }
        if blank > 0 { text += ", \(Format.count(blank)) blank lines skipped" }
        if rejected > 0 {
            let parts = RejectReason.allCases.compactMap { r in rejectedByReason[r].map { "\(r.rawValue) \(Format.count($0))" } }
            text += "\n  rejected: " + parts.joined(separator: ", ")
        }
        return text
    }
}
