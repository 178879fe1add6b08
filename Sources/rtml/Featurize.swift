import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct Featurize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "featurize",
            abstract: "Compute event-time features into a SQLite feature store; write prediction jobs.",
            discussion: """
            Reads canonical events (the output of rtml ingest) in arrival order and keeps, per \
            user, real-time features in the store's features table (one row per user), every \
            row as of each event in feature_history, and per-window event counts in \
            user_windows. Windows and the watermark follow Spark Structured Streaming: sliding \
            windows [start, end) aligned to the epoch plus --window-offset; the watermark is the \
            largest event time seen before an event minus --watermark and never goes back; a \
            window is written once, when the watermark reaches its end; an event whose windows \
            are all final is late (rejected with reason late, and it changes nothing). Results do \
            not depend on --batch-events: batches only decide when work is committed.

            Each micro-batch is one SQLite transaction that also holds the input position and \
            all open state, so featurize killed at any instant and run again with the same input \
            and store ends with exactly the store of an uninterrupted run. Jobs and rejects of a \
            batch are written before its commit: after a crash, those of the uncommitted batch \
            appear again (job ids are deterministic); none is lost. A different input continues \
            the store where it stands.

            With --store DIR/part-000I.db and --partition I/N the store is shard I of the store \
            set DIR: featurize creates DIR/manifest.json when it is the first shard and records \
            the shard's store id in it (docs/scale-out.md), so N processes started at once make a \
            valid set; the file name must match I, and N the manifest's.

            With --partition I/N only the users of partition I are featurized; other lines \
            are counted as skipped (read = accepted + rejected + skipped), and the store records \
            its partition in meta. The watermark is then this partition's: see \
            docs/scale-out.md for when that matters.

            At the end of input, --flush-at-end (the default when every input is a file; off \
            for stdin, a live pipe) finalises every open window.

            The store is created when it does not exist (--create insists on a new one). Its \
            feature settings are recorded; continuing it with other settings is refused. \
            docs/store.md and docs/features.md describe the tables and every feature.

            Example:
              rtml ingest day.ndjson.gz | rtml featurize --store stores/blue.db --stats featurize.json > jobs.ndjson
            """
        )

        @Argument(help: ArgumentHelp("Canonical event logs (from rtml ingest); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("The feature store (SQLite) to write.", valueName: "file"))
        var store: String

        @Flag(help: "Refuse to continue an existing store: create a new one.")
        var create = false

        @Option(help: ArgumentHelp("The store's color in a blue-green pair, recorded in its meta when it is created.", valueName: "blue|green"))
        var color: String?

        @Option(help: ArgumentHelp("Length of the sliding windows counted into user_windows.", valueName: "duration"))
        var window = "10m"

        @Option(help: ArgumentHelp("Distance between window starts.", valueName: "duration"))
        var slide = "5m"

        @Option(name: .customLong("window-offset"), help: ArgumentHelp("Windows start at the epoch plus this offset plus multiples of --slide.", valueName: "duration"))
        var windowOffset = "0s"

        @Option(help: ArgumentHelp("How far the watermark trails the largest event time seen.", valueName: "duration"))
        var watermark = "10m"

        @Option(name: .customLong("session-gap"), help: ArgumentHelp("A session ends after this long without events.", valueName: "duration"))
        var sessionGap = "30m"

        @Option(name: .customLong("bounce-threshold"), help: ArgumentHelp("An exit before this position is a bounce.", valueName: "duration"))
        var bounceThreshold = "60s"

        @Option(name: .customLong("search-memory"), help: ArgumentHelp("How long a search counts in the search embedding.", valueName: "duration"))
        var searchMemory = "30m"

        @Option(name: .customLong("embedding-dims"), help: ArgumentHelp("Dimensions of the hashing-trick search embedding.", valueName: "n"))
        var embeddingDims = 64

        @Option(help: ArgumentHelp("Learned term vectors (TSV: term, then one column per dimension) instead of the hashing trick.", valueName: "file"))
        var embeddings: String?

        @Option(name: .customLong("batch-events"), help: ArgumentHelp("Events per micro-batch (one SQLite transaction).", valueName: "n"))
        var batchEvents = 5000

        @Option(name: .customLong("batch-interval"), help: ArgumentHelp("Commit what is pending when the input is quiet this long (a trickling pipe).", valueName: "duration"))
        var batchInterval = "1s"

        @Option(name: .customLong("state-every"), help: ArgumentHelp("Checkpoint the engine's state at the first commit after this many input lines (and every 10 s, and at the end); a restarted run re-reads at most this many committed lines to rebuild it.", valueName: "lines"))
        var stateEvery = 250_000

        @Flag(name: .customLong("flush-at-end"), inversion: .prefixedNo, help: "Finalise every open window at the end of input (default: on for files, off for stdin).")
        var flushAtEnd: Bool?

        @Option(help: ArgumentHelp("Events that start a prediction job, comma-separated, from: \(FeaturizeOptions.allTriggers.joined(separator: ", ")).", valueName: "list"))
        var triggers = FeaturizeOptions.defaultTriggers.sorted().joined(separator: ",")

        @OptionGroup var output: OutputOptions
        @OptionGroup var records: RejectOptions
        @OptionGroup var report: ReportOptions
        @OptionGroup var partitioning: PartitionOptions

        func featureConfig() throws -> FeatureConfig {
            var config = FeatureConfig()
            config.windowMillis = try DurationText.flag(window, "--window")
            config.slideMillis = try DurationText.flag(slide, "--slide")
            config.windowOffsetMillis = try DurationText.flag(windowOffset, "--window-offset")
            config.watermarkDelayMillis = try DurationText.flag(watermark, "--watermark")
            config.sessionGapMillis = try DurationText.flag(sessionGap, "--session-gap")
            config.bounceThresholdMillis = try DurationText.flag(bounceThreshold, "--bounce-threshold")
            config.searchMemoryMillis = try DurationText.flag(searchMemory, "--search-memory")
            config.embeddingDimensions = embeddingDims
            return config
        }

        func validate() throws {
            let config = try featureConfig()
            guard config.slideMillis > 0, config.windowMillis > 0 else {
                throw ValidationError("'--window' and '--slide' must be longer than 0s")
            }
            guard config.windowMillis % config.slideMillis == 0 else {
                throw ValidationError("'--window' must be a multiple of '--slide'")
            }
            guard config.windowOffsetMillis < config.slideMillis else {
                throw ValidationError("'--window-offset' must be shorter than '--slide'")
            }
            guard (1...4096).contains(embeddingDims) else {
                throw ValidationError("'--embedding-dims' must be between 1 and 4096")
            }
            guard batchEvents >= 1 else { throw ValidationError("'--batch-events' must be at least 1") }
            guard stateEvery >= 1 else { throw ValidationError("'--state-every' must be at least 1") }
            _ = try DurationText.flag(batchInterval, "--batch-interval")
            if let color, color != "blue" && color != "green" {
                throw ValidationError("'--color' must be blue or green")
            }
            for trigger in triggers.split(separator: ",") where !FeaturizeOptions.allTriggers.contains(String(trigger)) {
                throw ValidationError("'--triggers' does not know '\(trigger)' (known: \(FeaturizeOptions.allTriggers.joined(separator: ", ")))")
            }
        }

        func run() throws {
            var options = FeaturizeOptions()
            options.config = try featureConfig()
            options.batchEvents = batchEvents
            options.stateEveryLines = stateEvery
            options.batchInterval = Double(try DurationText.flag(batchInterval, "--batch-interval")) / 1000
            let sources = InputSource.list(files)
            options.flushAtEnd = flushAtEnd ?? sources.allSatisfy { $0.path != nil }
            options.triggers = Set(triggers.split(separator: ",").map(String.init))
            options.maxLineBytes = records.maxLineBytes
            options.partition = partitioning.partition
            if let point = ProcessInfo.processInfo.environment["RTML_FEATURIZE_KILL"] {
                options.killPoint = FeaturizeOptions.KillPoint(point)
            }

            let embeddingTable = try embeddings.map { try TermEmbeddings.load(path: $0) }
                ?? TermEmbeddings.hashing(dimensions: embeddingDims)
            if embeddings != nil { options.config.embeddingDimensions = embeddingTable.dimensions }
            let setDirectory = try StoreSetRegistration.shardDirectory(storePath: store, partition: partitioning.partition)
            let existed = (try? FileManager.default.attributesOfItem(atPath: store)[.size] as? Int).map { $0 > 0 } ?? false
            let featureStore = try FeatureStore.open(path: store, mode: create ? .mustCreate : .createIfMissing, color: color)
            if let partition = partitioning.partition {
                // A partition's store holds only its users: mixing partitions in one store is a mistake.
                if let saved = try featureStore.meta("partition"), saved != partition.description {
                    throw RTMLError("\(store): the store holds partition \(saved); this run asks for --partition \(partition) (use another store)")
                }
                try featureStore.setMeta("partition", partition.description)
                // A shard of a store set (DIR/part-000I.db) adds itself to DIR/manifest.json.
                if let setDirectory, let note = try StoreSetRegistration.register(
                    directory: setDirectory, partition: partition, storeId: featureStore.storeId, created: !existed) {
                    Console.error("note: " + note)
                }
            }
            // Continuing a store: jobs and rejects files continue too, so a
            // re-run after a crash loses none of what the first run wrote.
            let continuing = try featureStore.checkpoint("position") != nil
            let writer = try output.makeWriter(append: continuing)
            let rejects = try RejectsWriter(path: records.rejects, append: continuing)
            let progress = ProgressLine(label: "featurize")
            let featurizer = try Featurizer(options: options, store: featureStore, embeddings: embeddingTable,
                                            jobs: writer, rejects: rejects, progress: progress)
            let echo = RejectEcho(enabled: !report.quiet)
            featurizer.onReject = { source, line, rejection in
                echo.echo(source: source, line: line.number, detail: rejection.detail)
            }
            var readError: RTMLError?
            do {
                try featurizer.run(sources)
            } catch let error as RTMLError {
                readError = error
            }
            try writer.close()
            try rejects.close()
            try featureStore.close()
            progress.finish()
            let stats = featurizer.stats
            echo.finish(total: stats.rejected, recorded: rejects.isRecording)
            try report.finish(stats: stats.json, summary: stats.summary)
            if let readError { throw readError }
            if records.strict && stats.rejected > 0 { throw StageExit(status: .finding) }
        }
    }
}
