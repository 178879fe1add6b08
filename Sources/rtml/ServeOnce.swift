import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct ServeOnce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-once",
            abstract: "Serve prediction jobs: recommendations from the active store and a model, to stdout (push) and/or the store (pull).",
            discussion: """
            Reads jobs (NDJSON, as rtml featurize writes them) until the end of its input and \
            exits: one invocation drains what it is given. With --follow it keeps reading a live \
            pipe and serves jobs as they arrive, in micro-batches that never wait for a full batch.

            Per job: the user's sequence id and online features come from the store (--store \
            FILE, or the store ACTIVE names in --stores DIR, looked up again every batch so a \
            promote is followed); a store set (--store SETDIR, or --stores DIR whose blue/green \
            are set directories) routes each job to its user's shard by the partition hash, \
            and the pull sink writes into that shard; the ALS model scores every item; with --rerank a next-category \
            model re-weights each score by its item's category: score' = max(score, 0) · (K · \
            p(category | the user's features now))^w, K the number of categories, w = \
            --rerank-weight (default 0.5, docs/serving.md says why); items the user \
            completed within --exclude-recent are left out; the top -k remain. A user the model \
            has no factors for gets the popularity ranking, marked "coldStart":true.

            Before the first job the model is checked against the store: a model whose \
            sequence_map_fingerprint differs from the store's (a set's: docs/scale-out.md) is refused (exit 2) unless \
            --allow-stale-ids, as is a rerank model needing features the store lacks.

            With --partition I/N only the jobs of partition I's users are served (the same hash \
            as ingest and featurize use; docs/scale-out.md); the others are counted as skipped.

            A job that cannot be served goes to --dead-letter with its reason and attempt + 1 \
            (run serve-once on that file to retry); one at --max-attempts is counted as failed.

            Examples:
              rtml featurize --store stores/blue.db < events | rtml serve-once --stores stores --model models/recs@champion --rerank models/nextcat@champion --sink push,pull > push.ndjson
              rtml serve-once --user u42 --stores stores --model models/recs@champion
              rtml serve-once --store parts --model models/recs-set@champion < jobs.ndjson
            """
        )

        @Argument(help: ArgumentHelp("Job files (NDJSON); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("Read features from this store, or this store set (a directory with manifest.json).", valueName: "file|dir"))
        var store: String?

        @Option(help: ArgumentHelp("A blue-green stores directory: read the store its ACTIVE file names.", valueName: "dir"))
        var stores: String?

        @Option(help: ArgumentHelp("The recommender (an als bundle): models/NAME@alias, models/NAME/VERSION, models/NAME (latest) or a bundle directory.", valueName: "ref"))
        var model: String

        @Option(help: ArgumentHelp("A next-category model (logistic) that re-weights the scores by the user's real-time features.", valueName: "ref"))
        var rerank: String?

        @Option(help: ArgumentHelp("Where predictions go: push (stdout), pull (the store's predictions table), or both.", valueName: "push,pull"))
        var sink = "push"

        @Option(name: .customLong("predictions-db"), help: ArgumentHelp("The pull sink's database, instead of the feature store (created when missing).", valueName: "file"))
        var predictionsDB: String?

        @OptionGroup var serving: ServingOptions

        @Flag(help: "Keep reading a live pipe; serve jobs as they arrive.")
        var follow = false

        @Option(name: .customLong("batch-jobs"), help: "Jobs per micro-batch (one read snapshot; one pull-sink transaction, shared by the batches served while the last one committed).")
        var batchJobs = 512

        @Option(name: .customLong("dead-letter"), help: ArgumentHelp("Append jobs that could not be served to FILE (NDJSON, attempt + 1, reason).", valueName: "file"))
        var deadLetter: String?

        @Option(name: .customLong("max-attempts"), help: "A job failing at this attempt is counted as failed, not dead-lettered again.")
        var maxAttempts = 3

        @Option(help: ArgumentHelp("Answer one user directly (no jobs read) and print the prediction.", valueName: "user-id"))
        var user: String?

        @Option(help: ArgumentHelp("With --user: the time to predict for (RFC 3339; default now).", valueName: "time"))
        var at: String?

        @OptionGroup var report: ReportOptions
        @OptionGroup var partitioning: PartitionOptions

        func validate() throws {
            guard (store == nil) != (stores == nil) else { throw ValidationError("give exactly one of --store and --stores") }
            guard batchJobs >= 1 else { throw ValidationError("'--batch-jobs' must be at least 1") }
            guard maxAttempts >= 1 else { throw ValidationError("'--max-attempts' must be at least 1") }
            let sinks = Set(sink.split(separator: ",").map(String.init))
            guard !sinks.isEmpty, sinks.isSubset(of: ["push", "pull"]) else { throw ValidationError("'--sink' takes push, pull or push,pull") }
            if user != nil, !files.isEmpty { throw ValidationError("--user answers one user; it reads no job files") }
            if at != nil, user == nil { throw ValidationError("--at goes with --user") }
        }

        func run() throws {
            let location: StoreLocation = store.map { .file($0) } ?? .directory(stores!)
            let scorer = try Self.loadScorer(model)
            let reranker = try rerank.map(Self.loadReranker)
            // A store set (a directory with manifest.json) is served shard by shard, each job
            // routed to its user's shard; a single store as before.
            let server: any PredictionServing
            var setServer: StoreSetServer?
            var single: PredictionServer?
            let storeDescription: String
            let pull: (any PredictionPullSink)?
            let sinks = Set(sink.split(separator: ",").map(String.init))
            if StoreSet.isSet(try location.currentPath()) {
                let set = try StoreSetServer(location: location, scorer: scorer, reranker: reranker, options: try serving.options())
                set.notes.forEach(Console.error)
                server = set
                setServer = set
                storeDescription = "store set \(set.setPath) (\(set.partitions) shards)"
                if !sinks.contains("pull") {
                    pull = nil
                } else if let predictionsDB {
                    pull = try PullSink(path: predictionsDB, createIfMissing: true)
                } else {
                    pull = try ShardedPullSink(setPath: set.setPath)
                }
            } else {
                let one = try PredictionServer(location: location, scorer: scorer, reranker: reranker, options: try serving.options())
                one.notes.forEach(Console.error)
                server = one
                single = one
                storeDescription = "store \(one.storePath)"
                pull = !sinks.contains("pull") ? nil
                    : try PullSink(path: predictionsDB ?? one.storePath, createIfMissing: predictionsDB != nil)
            }

            if let user {
                try answer(user, server: server)
                return
            }
            let push = sinks.contains("push") ? try OutputWriter(path: nil) : nil
            let dead = try deadLetter.map { try DeadLetterWriter(path: $0) }
            var loopOptions = ServeLoop.Options()
            loopOptions.batchJobs = batchJobs
            loopOptions.maxAttempts = maxAttempts
            loopOptions.partition = partitioning.partition
            let readsStdin = files.isEmpty || files.contains("-")
            loopOptions.idleFlushSeconds = follow || readsStdin ? 0.005 : nil
            let loop = single.map { ServeLoop(server: $0, push: push, pull: pull, deadLetter: dead, options: loopOptions) }
                ?? ServeLoop(server: setServer!, push: push, pull: pull, deadLetter: dead, options: loopOptions)
            let inputs = files.isEmpty ? [InputSource.stdin] : files.map { $0 == "-" ? .stdin : InputSource(path: $0) }
            let stats = try loop.run(inputs)
            try push?.close()
            try dead?.close()
            try pull?.close()
            var summary = "serve-once: \(Format.count(stats.read)) jobs read, \(Format.count(stats.served)) served (\(Format.count(stats.coldStart)) cold start), \(Format.count(stats.deadLettered)) dead-lettered, \(Format.count(stats.failed)) failed at --max-attempts"
            if let partition = partitioning.partition { summary += ", \(Format.count(stats.skipped)) skipped (not in partition \(partition))" }
            summary += "\n  \(Format.count(Int((Double(stats.read) / max(stats.elapsedSeconds, 1e-9)).rounded()))) jobs/s; per job: service \(stats.service.summary); read to written \(stats.latency.summary); \(storeDescription)"
            try report.finish(stats: stats.json, summary: summary)
            if stats.deadLettered > 0 || stats.failed > 0 { throw StageExit(status: .finding) }
        }

        private func answer(_ user: String, server: any PredictionServing) throws {
            var time = EventNormalizer.nowMillis()
            if let at {
                guard case .success(let t) = EventTime.parseRFC3339(at) else { throw ValidationError("'--at' must be an RFC 3339 time") }
                time = t
            }
            let job = PredictionJob(jobId: "j-direct", userId: user, trigger: "direct", eventTime: time, eventTimeText: at)
            switch server.serve([job], now: EventNormalizer.nowMillis).first! {
            case .success(let p):
                var line: [UInt8] = []
                p.line(into: &line)
                FileHandle.standardOutput.write(Data(line))
            case .failure(let f):
                throw RTMLError("cannot serve \(user): \(f.reason)")
            }
        }

        static func loadScorer(_ reference: String) throws -> ALSScorer {
            let resolved = try ModelRegistry.resolve(reference)
            return try ALSScorer(bundle: try resolved.load(), path: resolved.path,
                                 name: resolved.name ?? URL(fileURLWithPath: resolved.path).lastPathComponent, version: resolved.version)
        }

        static func loadReranker(_ reference: String) throws -> CategoryReranker {
            let resolved = try ModelRegistry.resolve(reference)
            return try CategoryReranker(bundle: try resolved.load(), path: resolved.path,
                                        name: resolved.name ?? URL(fileURLWithPath: resolved.path).lastPathComponent, version: resolved.version)
        }
    }
}
