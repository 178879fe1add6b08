import Foundation

/// What `rtml partition` counted. Every non-blank input line is written to
/// exactly one part or refused (too long to hold): `read == accepted + rejected`.
public struct PartitionStats: Sendable {
    public var read = 0
    /// Lines written to a part.
    public var accepted = 0
    /// Lines longer than `--max-line-bytes` (to `--rejects`).
    public var rejected = 0
    /// Empty or whitespace-only lines: not records, not written.
    public var blank = 0
    /// Lines per part, by partition index.
    public var perPart: [Int]
    /// Lines placed by their entity key / by the hash of their raw bytes (no usable key).
    public var byKey = 0
    public var byRawLine = 0
    public var files: [String] = []
    public var elapsedSeconds = 0.0

    public init(count: Int) { perPart = [Int](repeating: 0, count: count) }

    public var json: JSONValue {
        .object([
            ("stage", .string("partition")),
            ("read", .int(read)), ("accepted", .int(accepted)), ("rejected", .int(rejected)),
            ("blank", .int(blank)),
            ("partitions", .int(perPart.count)),
            ("per_part", .array(perPart.map { .int($0) })),
            ("by_key", .int(byKey)), ("by_raw_line", .int(byRawLine)),
            ("files", .array(files.map { .string($0) })),
            ("elapsed_s", .double((elapsedSeconds * 1000).rounded() / 1000)),
            ("lines_per_s", .int(elapsedSeconds > 0 ? Int(Double(read) / elapsedSeconds) : 0)),
        ])
    }

    public var summary: String {
        let rate = elapsedSeconds > 0 ? Double(read) / elapsedSeconds : 0
        var text = "partition: read \(Format.count(read)) lines in \(Format.seconds(elapsedSeconds)) (\(Format.rate(rate))/s) into \(perPart.count) parts: "
        text += perPart.map { Format.count($0) }.joined(separator: " / ")
        if byRawLine > 0 { text += "\n  \(Format.count(byRawLine)) \(byRawLine == 1 ? "line" : "lines") without a usable userId or anonymousId, placed by the hash of the raw line" }
        if rejected > 0 { text += "\n  \(Format.count(rejected)) \(rejected == 1 ? "line" : "lines") longer than --max-line-bytes refused" }
        return text
    }
}

/// Splits event logs into `count` files by `UserPartition`, in one pass and
/// constant memory: part `i` holds exactly the lines `--partition i/N` keeps.
public final class LogPartitioner {
    public private(set) var stats: PartitionStats
    /// Called for each refused line (e.g. to print the first few to stderr).
    public var onReject: ((String, InputLine, Rejection) -> Void)?

    private let count: Int
    private let maxLineBytes: Int
    private let parts: [OutputWriter]
    private let rejects: RejectsWriter
    private let progress: ProgressLine?
    private var keyReader = PartitionKeyReader()
    private let started = Monotonic.now()

    /// The name of part `index`: `part-0000.ndjson` (`.gz` appended when gzipped).
    public static func fileName(_ index: Int, gzip: Bool) -> String {
        let digits = String(index)
        return "part-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + (gzip ? ".ndjson.gz" : ".ndjson")
    }

    /// Creates `directory` when needed and opens (replacing) its `count` part files.
    public init(count: Int, directory: String, gzip: Bool, level: Int32 = 1, maxLineBytes: Int, rejects: RejectsWriter,
                progress: ProgressLine? = nil) throws {
        precondition(count >= 1)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RTMLError("\(directory): cannot create the output directory: \(error.localizedDescription)")
        }
        self.count = count
        self.maxLineBytes = maxLineBytes
        self.rejects = rejects
        self.progress = progress
        stats = PartitionStats(count: count)
        var parts: [OutputWriter] = []
        for i in 0..<count {
            let path = (directory as NSString).appendingPathComponent(Self.fileName(i, gzip: gzip))
            parts.append(try OutputWriter(path: path, gzip: gzip, level: level))
            stats.files.append(path)
        }
        self.parts = parts
    }

    /// Reads one input to its end.
    public func split(_ source: InputSource) throws {
        let reader = LineReader(source: source, maxLineBytes: maxLineBytes)
        defer { stats.elapsedSeconds = Monotonic.now() - started }
        try reader.forEachLine { line in
            if line.isOversize {
                stats.read += 1
                stats.rejected += 1
                let rejection = Rejection(.lineTooLong, "line is \(line.length) bytes, longer than --max-line-bytes \(maxLineBytes)")
                try rejects.write(source: source.displayName, line: line, rejection: rejection)
                onReject?(source.displayName, line, rejection)
                return
            }
            if JSONAccess.isBlank(line.bytes) {
                stats.blank += 1
                return
            }
            stats.read += 1
            progress?.tick(stats.read)
            let (index, route) = keyReader.partition(ofLine: line.bytes, count: count)
            if route == .key { stats.byKey += 1 } else { stats.byRawLine += 1 }
            try parts[index].write(line.bytes)
            try parts[index].writeByte(0x0A)
            stats.perPart[index] += 1
            stats.accepted += 1
        }
    }

    /// Flushes and closes every part.
    public func close() throws {
        for part in parts { try part.close() }
        stats.elapsedSeconds = Monotonic.now() - started
    }
}
