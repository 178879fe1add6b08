import ArgumentParser
import Foundation
import RTMLCore

/// Where a stage writes its data: stdout or `-o FILE`, gzip by name or flag.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("Write data to FILE instead of stdout (gzip when FILE ends in .gz).", valueName: "file"))
    var output: String?

    @Flag(help: "Gzip the output even when its name does not end in .gz (or on stdout).")
    var gzip = false

    @Option(name: .customLong("gzip-level"), help: ArgumentHelp("Gzip compression level, 1 (fast) to 9 (small).", valueName: "n"))
    var gzipLevel: Int32 = 1

    func validate() throws {
        guard (1...9).contains(gzipLevel) else {
            throw ValidationError("'--gzip-level' must be between 1 and 9")
        }
    }

    func makeWriter(append: Bool = false) throws -> OutputWriter {
        try OutputWriter(path: output, gzip: gzip, level: gzipLevel, append: append)
    }
}

/// Counters and messages every stage shares.
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the stage's counters as one JSON object to FILE.", valueName: "file"))
    var stats: String?

    @Flag(name: [.short, .long], help: "No human summary on stderr.")
    var quiet = false

    /// Writes `--stats` (when asked) and the summary (unless `--quiet`).
    func finish(stats json: JSONValue, summary: String) throws {
        if let path = stats {
            let writer = try OutputWriter(path: path)
            try writer.write(json.rendered() + "\n")
            try writer.close()
        }
        if !quiet { Console.error(summary) }
    }
}

/// Bad-record handling every stage that reads records shares.
struct RejectOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write each refused record, with source, line, offset and reason, as NDJSON to FILE.", valueName: "file"))
    var rejects: String?

    @Flag(help: "Exit with status 1 after the summary when any record was refused.")
    var strict = false

    @Option(name: .customLong("max-line-bytes"), help: ArgumentHelp("Lines longer than this are refused (line_too_long) without being held in memory.", valueName: "bytes"))
    var maxLineBytes: Int = 1 << 20

    func validate() throws {
        guard maxLineBytes >= 64 else {
            throw ValidationError("'--max-line-bytes' must be at least 64")
        }
    }
}

/// Writing to stderr without buffering surprises.
enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Shows the first few refused records on stderr, like a compiler shows errors.
final class RejectEcho {
    private let limit: Int
    private var shown = 0
    private let enabled: Bool

    init(enabled: Bool, limit: Int = 5) {
        self.enabled = enabled
        self.limit = limit
    }

    func echo(source: String, line: Int, detail: String) {
        guard enabled else { return }
        shown += 1
        if shown <= limit {
            Console.error("\(source):\(line): \(detail)")
        }
    }

    /// A closing hint when more were refused than shown.
    func finish(total: Int, recorded: Bool) {
        guard enabled, total > 0 else { return }
        let more = total > limit ? "\(Format.count(total - limit)) more refused records not shown; " : ""
        let hint = recorded ? "" : "use --rejects FILE to keep them"
        if !more.isEmpty || !hint.isEmpty {
            Console.error(more.isEmpty ? hint : more + (hint.isEmpty ? "all are in the rejects file" : hint))
        }
    }
}

extension DurationText {
    /// Parses a duration flag value or fails validation naming the flag.
    static func flag(_ text: String, _ name: String) throws -> Int64 {
        guard let millis = parseMillis(text) else {
            throw ValidationError("'\(name)' must be a duration like 500ms, 30s, 10m, 1h or 1d, not '\(text)'")
        }
        return millis
    }
}

/// `--partition I/N`: one share of the users, for running a stage N ways.
struct PartitionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Keep only the users in partition I of N (0-based, 0 <= I < N; the hash is in docs/scale-out.md); count other lines as skipped.",
        valueName: "I/N"),
        transform: { try PartitionOptions.parse($0) })
    var partition: UserPartition?

    static func parse(_ text: String) throws -> UserPartition {
        guard let partition = UserPartition(parsing: text) else {
            throw ValidationError("'--partition' must be I/N with 0 <= I < N (I counts from 0), not '\(text)'")
        }
        return partition
    }
}

/// How recommendations are made from scores: what serve-once and replay share.
struct ServingOptions: ParsableArguments {
    @Option(name: .short, help: "Items per recommendation.")
    var k = 10

    @Option(name: .customLong("exclude-recent"), help: ArgumentHelp("Leave out content the user completed within this time before the job (0s: keep everything).", valueName: "duration"))
    var excludeRecent = "24h"

    @Option(name: .customLong("rerank-weight"), help: ArgumentHelp("w in score' = max(score, 0) · (K · p(category))^w: 1 trusts the next-category model fully, 0 ignores it.", valueName: "w"))
    var rerankWeight = 0.5

    @Flag(name: .customLong("allow-stale-ids"), help: "Serve even when the model's sequence ids do not match the store's (users may get other users' recommendations).")
    var allowStaleIds = false

    func validate() throws {
        guard k >= 1 else { throw ValidationError("'-k' must be at least 1") }
        _ = try DurationText.flag(excludeRecent, "--exclude-recent")
    }

    func options() throws -> PredictionServer.Options {
        var options = PredictionServer.Options()
        options.k = k
        options.excludeRecentMillis = try DurationText.flag(excludeRecent, "--exclude-recent")
        options.allowStaleIds = allowStaleIds
        options.rerankWeight = rerankWeight
        return options
    }
}
