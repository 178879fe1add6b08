import ArgumentParser
import RTMLCore

extension ReceivedAtDefault: ExpressibleByArgument {}

extension RTMLCommand {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Validate, deduplicate and normalise raw app events into canonical NDJSON.",
            discussion: """
            Reads Segment-style track events (one JSON object per line, gzip or plain, \
            detected by magic bytes) and writes canonical events: timestamp and receivedAt \
            as RFC 3339 UTC with milliseconds, a messageId on every event, every other \
            field kept as it came. Each line is accepted, rejected (with its reason, to \
            --rejects) or counted as a duplicate: read = accepted + rejected + duplicates. \
            Blank lines are not records; they are counted apart.

            With --partition I/N only the users of partition I are kept; every other line is \
            counted as skipped (read = accepted + rejected + duplicates + skipped). A line \
            without a usable userId or anonymousId belongs to the partition of its raw bytes' \
            hash, a line longer than --max-line-bytes to partition 0 (docs/scale-out.md).

            Deduplication remembers message ids for --dedupe-window of event time, at most \
            --dedupe-capacity ids (about 60 bytes each: the default bounds it near 240 MB; \
            a day of 1M events needs about 60 MB).

            Example:
              rtml ingest day.ndjson.gz --rejects rejects.ndjson --stats ingest.json | jq -c 'select(.event=="search")'
            """
        )

        @Argument(help: ArgumentHelp("Event logs (NDJSON, gzip or plain); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @OptionGroup var output: OutputOptions
        @OptionGroup var records: RejectOptions
        @OptionGroup var report: ReportOptions
        @OptionGroup var partitioning: PartitionOptions

        @Option(name: .customLong("dedupe-window"), help: ArgumentHelp("How long (in event time) a messageId is remembered.", valueName: "duration"))
        var dedupeWindow = "24h"

        @Option(name: .customLong("dedupe-capacity"), help: ArgumentHelp("Most message ids remembered at once; the oldest are forgotten first.", valueName: "n"))
        var dedupeCapacity = 4_000_000

        @Option(name: .customLong("received-at-default"), help: ArgumentHelp("receivedAt for events without one: now (when ingest read it) or timestamp (the event time, for reproducible re-runs).", valueName: "now|timestamp"))
        var receivedAtDefault: ReceivedAtDefault = .now

        func validate() throws {
            _ = try DurationText.flag(dedupeWindow, "--dedupe-window")
            guard dedupeCapacity >= 1 else { throw ValidationError("'--dedupe-capacity' must be at least 1") }
        }

        func run() throws {
            var options = IngestOptions()
            options.maxLineBytes = records.maxLineBytes
            options.dedupeWindowMillis = try DurationText.flag(dedupeWindow, "--dedupe-window")
            options.dedupeCapacity = dedupeCapacity
            options.receivedAtDefault = receivedAtDefault
            // A live pipe (rtml replay pace | rtml ingest | ...): a trickle of
            // events goes on within milliseconds instead of waiting for a full buffer.
            if files.isEmpty || files.contains("-") { options.idleFlushSeconds = 0.005 }
            options.partition = partitioning.partition

            let writer = try output.makeWriter()
            let rejects = try RejectsWriter(path: records.rejects)
            let progress = ProgressLine(label: "ingest")
            let ingestor = Ingestor(options: options, output: writer, rejects: rejects, progress: progress)
            let echo = RejectEcho(enabled: !report.quiet)
            ingestor.onReject = { source, line, rejection in
                echo.echo(source: source, line: line.number, detail: rejection.detail)
            }

            var readErrors: [String] = []
            for source in InputSource.list(files) {
                do {
                    try ingestor.ingest(source)
                } catch let error as RTMLError {
                    // Like zcat: report, go on with the next input, fail at the end.
                    readErrors.append(error.message)
                }
            }
            try writer.close()
            try rejects.close()
            progress.finish()

            let stats = ingestor.stats
            echo.finish(total: stats.rejected, recorded: rejects.isRecording)
            try report.finish(stats: stats.json, summary: stats.summary)
            for message in readErrors { Console.error("rtml: \(message)") }
            if !readErrors.isEmpty { throw StageExit(status: .error) }
            if records.strict && stats.rejected > 0 { throw StageExit(status: .finding) }
        }
    }
}
