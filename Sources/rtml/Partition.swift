import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Partition: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "partition",
            abstract: "Split event logs into N files by user, the way --partition I/N selects them.",
            discussion: """
            Reads event logs (gzip or plain, detected by magic bytes; none or - reads stdin) in \
            one pass and constant memory, and writes each line unchanged to DIR/part-0000.ndjson \
            ... DIR/part-<N-1>.ndjson (.ndjson.gz with --gzip). A line goes to the partition of \
            its entity key (userId when a non-empty string, else anonymousId): the hash of the \
            key's UTF-8 bytes (Hash128, seed 0), low 64 bits mod N, documented with a Python \
            recomputation in docs/scale-out.md. Part i therefore holds exactly the lines that \
            `rtml ingest --partition i/N` keeps, so `rtml ingest part-000i.ndjson | rtml \
            featurize --store part-000i.db` runs N independent pipelines, one per share of the users.

            No line is lost: a line without a usable key (not JSON, no userId or anonymousId) \
            goes to the partition of the hash of its raw bytes, where ingest rejects it with its \
            reason; a line longer than --max-line-bytes is refused to --rejects (ingest \
            --partition counts such lines in partition 0). read = accepted + rejected.

            Example:
              rtml partition 4 --out parts --gzip day.ndjson.gz && ls parts
              for i in 0 1 2 3; do rtml ingest parts/part-000$i.ndjson.gz | rtml featurize --store parts/part-000$i.db & done; wait
            """
        )

        @Argument(help: ArgumentHelp("The number of partitions N.", valueName: "n"))
        var count: Int

        @Argument(help: ArgumentHelp("Event logs (NDJSON, gzip or plain); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("The directory to write part-0000.ndjson ... into (created when missing; parts there are replaced).", valueName: "dir"))
        var out: String

        @Flag(help: "Gzip the parts (part-0000.ndjson.gz ...).")
        var gzip = false

        @Option(name: .customLong("gzip-level"), help: ArgumentHelp("Gzip compression level, 1 (fast) to 9 (small).", valueName: "n"))
        var gzipLevel: Int32 = 1

        @OptionGroup var records: RejectOptions
        @OptionGroup var report: ReportOptions

        func validate() throws {
            guard (1...65536).contains(count) else { throw ValidationError("'<n>' must be between 1 and 65536, not \(count)") }
            guard (1...9).contains(gzipLevel) else { throw ValidationError("'--gzip-level' must be between 1 and 9") }
        }

        func run() throws {
            let rejects = try RejectsWriter(path: records.rejects)
            let progress = ProgressLine(label: "partition")
            let partitioner = try LogPartitioner(count: count, directory: out, gzip: gzip, level: gzipLevel,
                                                 maxLineBytes: records.maxLineBytes, rejects: rejects, progress: progress)
            let echo = RejectEcho(enabled: !report.quiet)
            partitioner.onReject = { source, line, rejection in
                echo.echo(source: source, line: line.number, detail: rejection.detail)
            }
            var readErrors: [String] = []
            for source in InputSource.list(files) {
                do {
                    try partitioner.split(source)
                } catch let error as RTMLError {
                    readErrors.append(error.message)
                }
            }
            try partitioner.close()
            try rejects.close()
            progress.finish()
            let stats = partitioner.stats
            echo.finish(total: stats.rejected, recorded: rejects.isRecording)
            try report.finish(stats: stats.json, summary: stats.summary)
            for message in readErrors { Console.error("rtml: \(message)") }
            if !readErrors.isEmpty { throw StageExit(status: .error) }
            if records.strict && stats.rejected > 0 { throw StageExit(status: .finding) }
        }
    }
}
