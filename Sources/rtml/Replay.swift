import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Replay a recorded day through the pipeline and report latency, throughput and quality.",
            discussion: """
            rtml replay DAY runs the whole pipeline (pace, ingest, featurize, serve-once, measure) \
            inside one process; rtml replay pace and rtml replay measure do the first and last step \
            for a pipeline of separate commands:

              rtml replay pace d.gz --speed 60 | rtml ingest | rtml featurize --store s.db --batch-interval 5ms | rtml serve-once --store s.db --model m --follow | rtml replay measure

            docs/replay.md describes the stamp that carries each event's emission time to its prediction.
            """,
            subcommands: [Run.self, Pace.self, Measure.self],
            defaultSubcommand: Run.self
        )
    }
}

/// When and how fast to replay: shared by `replay` and `replay pace`.
struct PaceArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Replay this many times faster than recorded (by receivedAt).", valueName: "factor"))
    var speed: Double?

    @Flag(name: .customLong("as-fast-as-possible"), help: "No pacing: each event as soon as the pipeline takes it.")
    var asFastAsPossible = false

    @Option(help: ArgumentHelp("Start the slice at this receivedAt (RFC 3339; default: the first event).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("End the slice before this receivedAt (RFC 3339).", valueName: "time"))
    var to: String?

    @Option(name: .customLong("for"), help: ArgumentHelp("Replay this much of the recording from the slice's start (e.g. 10m).", valueName: "duration"))
    var length: String?

    func validate() throws {
        if speed != nil && asFastAsPossible { throw ValidationError("give one of '--speed' and '--as-fast-as-possible'") }
        if let speed, !(speed > 0 && speed.isFinite) { throw ValidationError("'--speed' must be a number above 0") }
        if to != nil && length != nil { throw ValidationError("give one of '--to' and '--for'") }
        _ = try options()
    }

    func options() throws -> PaceOptions {
        var o = PaceOptions()
        o.speed = asFastAsPossible ? nil : (speed ?? 1)
        func time(_ text: String?, _ flag: String) throws -> Int64? {
            guard let text else { return nil }
            guard case .success(let t) = EventTime.parseRFC3339(text) else {
                throw ValidationError("'\(flag)' must be an RFC 3339 time like 2026-11-26T08:00:00Z, not '\(text)'")
            }
            return t
        }
        o.from = try time(from, "--from")
        o.until = try time(to, "--to")
        o.forMillis = try length.map { try DurationText.flag($0, "--for") }
        return o
    }
}

extension RTMLCommand.Replay {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Replay a day through ingest, featurize and serve-once in one process (the default of rtml replay).",
            discussion: """
            Events go out at their recorded pace (receivedAt, scaled by --speed; default 1, real \
            time) or --as-fast-as-possible, each stamped with its emission time, through the same \
            code as rtml ingest, featurize and serve-once, each on its own thread, joined by pipes. \
            Every prediction's latency is the time from its triggering event's emission to the \
            prediction being written (push output). The report gives p50/p90/p99/p99.9/max \
            (HdrHistogram), events/s and jobs/s, backlog over time, late and rejected counts, and \
            the quality of the served lists: recall@k and NDCG@k against the content each user \
            started next (later events only), for the model with --rerank, the model alone and \
            popularity.

            The replay featurizes into its own working store (--work-store; default a temporary \
            file), made from the model's store (--store, or the ACTIVE store of --stores) with its \
            sequence ids, item ids and feature settings and no feature state: the model's store is \
            never written, and every run starts from the same place. Train the model on an earlier \
            day (or the part of the day before --from) for an honest quality figure.

            Exit status 1 when --slo is given and the p99 latency misses it.

            Examples:
              rtml replay day2.ndjson.gz --stores stores --model models/recs@champion --rerank models/nextcat@champion --speed 60 --slo 30s --report out
              rtml replay day.ndjson.gz --store stores/blue.db --model models/recs --as-fast-as-possible --no-quality
            """
        )

        @Argument(help: ArgumentHelp("The recorded day (raw events, NDJSON, gzip or plain).", valueName: "file"))
        var files: [String] = []

        @OptionGroup var pace: PaceArguments

        @Option(help: ArgumentHelp("The model's feature store (its ids and settings start the replay's store).", valueName: "file"))
        var store: String?

        @Option(help: ArgumentHelp("A blue-green stores directory: start from the store ACTIVE names.", valueName: "dir"))
        var stores: String?

        @Option(help: ArgumentHelp("The recommender (an als bundle): models/NAME@alias, models/NAME/VERSION, models/NAME.", valueName: "ref"))
        var model: String

        @Option(help: ArgumentHelp("A next-category model that re-weights the scores by real-time features.", valueName: "ref"))
        var rerank: String?

        @OptionGroup var serving: ServingOptions

        @Option(name: .customLong("batch-jobs"), help: "Jobs per serving micro-batch.")
        var batchJobs = 512

        @Option(name: .customLong("work-store"), help: ArgumentHelp("Keep the replay's working store at FILE (replaced if it exists; default: a temporary file, removed).", valueName: "file"))
        var workStore: String?

        @Option(help: ArgumentHelp("Exit 1 when the p99 end-to-end latency is above this.", valueName: "duration"))
        var slo: String?

        @Option(help: ArgumentHelp("Write report.json and report.html (self-contained, SVG charts) to DIR.", valueName: "dir"))
        var report: String?

        @Flag(name: .customLong("quality"), inversion: .prefixedNo, help: "Judge the served lists against what users started next (serves the baselines again after the replay).")
        var quality = true

        @OptionGroup var counters: ReportOptions

        func validate() throws {
            guard (store == nil) != (stores == nil) else { throw ValidationError("give exactly one of --store and --stores") }
            guard !files.isEmpty else { throw ValidationError("name the recorded day to replay") }
            guard batchJobs >= 1 else { throw ValidationError("'--batch-jobs' must be at least 1") }
            if let slo { _ = try DurationText.flag(slo, "--slo") }
        }

        func run() throws {
            let source: String = try store ?? StoreLocation.directory(stores!).currentPath()
            var options = ReplayOptions()
            options.pace = try pace.options()
            options.sourceStore = source
            options.serve = try serving.options()
            options.batchJobs = batchJobs
            options.quality = quality
            var temporary: String?
            if let workStore {
                options.workStore = workStore
            } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-replay-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                temporary = dir.path
                options.workStore = dir.appendingPathComponent("replay.db").path
            }
            defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }

            let scorer = try RTMLCommand.ServeOnce.loadScorer(model)
            let reranker = try rerank.map(RTMLCommand.ServeOnce.loadReranker)
            let replay = ReplayRun(options: options, scorer: scorer, reranker: reranker)
            let quiet = counters.quiet
            replay.onLag = { lag, at in
                if !quiet { Console.error(String(format: "replay: %.1f s behind the pace at %@ (the pipeline is slower than --speed)", lag, EventTime.formatRFC3339(at))) }
            }
            let result = try replay.run(files.map { InputSource(path: $0) })
            let sloMicros = try slo.map { UInt64(try DurationText.flag($0, "--slo")) * 1000 }
            let report = ReplayReport(result: result, sloMicros: sloMicros)
            var summary = report.summary
            if let dir = self.report {
                try ReplayReportFiles.write(report, to: dir)
                summary += "\n  report: \(dir)/report.html, \(dir)/report.json"
            }
            try counters.finish(stats: report.json, summary: summary)
            if !report.sloMet { throw StageExit(status: .finding) }
        }
    }

    struct Pace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pace",
            abstract: "Write a recorded day's events at their recorded pace, stamped with their emission time.",
            discussion: """
            Events go to stdout at start + (receivedAt − the slice's start) / --speed, on a \
            monotonic clock with an absolute schedule (no drift over a long replay), each with two \
            members added: "replaySeq" (emission order) and "replayedAt" (wall clock at emission, \
            RFC 3339 UTC with microseconds). rtml ingest keeps them, featurize copies them onto the \
            job, serve-once onto the prediction, and rtml replay measure reads them. Lines without \
            a readable receivedAt go out with the event before them (ingest judges them). When the \
            next stage stops keeping up, events go out late: the summary reports the lag, and a \
            line on stderr says when the replay is more than 1 s behind.

            Example:
              rtml replay pace d.gz --speed 60 | rtml ingest | rtml featurize --store s.db --batch-interval 5ms | rtml serve-once --store s.db --model m --follow | rtml replay measure
            """
        )

        @Argument(help: ArgumentHelp("The recorded day (NDJSON, gzip or plain); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @OptionGroup var pace: PaceArguments

        @Flag(name: .customLong("stamp"), inversion: .prefixedNo, help: "Add replaySeq and replayedAt to each event.")
        var stamp = true

        @OptionGroup var output: OutputOptions
        @OptionGroup var report: ReportOptions

        func run() throws {
            var options = try pace.options()
            options.stamp = stamp
            let writer = try output.makeWriter()
            let pacer = Pacer(options: options, output: writer)
            let quiet = report.quiet
            pacer.onLag = { lag, at in
                if !quiet { Console.error(String(format: "replay pace: %.1f s behind the pace at %@ (the pipeline is slower than --speed)", lag, EventTime.formatRFC3339(at))) }
            }
            try pacer.run(InputSource.list(files))
            try writer.close()
            try report.finish(stats: pacer.stats.json, summary: pacer.stats.summary)
        }
    }

    struct Measure: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "measure",
            abstract: "Read predictions at the end of a replayed pipeline and report their latency.",
            discussion: """
            For each prediction carrying a replay stamp (rtml replay pace upstream), the latency is \
            the time from the stamp (the triggering event's emission) to measure reading the \
            prediction. The summary gives p50/p90/p99/p99.9/max (HdrHistogram) and predictions/s; \
            --store adds recall@k and NDCG@k of the lists against what each user started next in \
            that store's events; --report DIR writes report.json and report.html.

            Example:
              rtml replay pace d.gz --speed 60 | rtml ingest | rtml featurize --store s.db --batch-interval 5ms | rtml serve-once --store s.db --model m --follow | rtml replay measure --slo 30s
            """
        )

        @Argument(help: ArgumentHelp("Predictions (NDJSON, as serve-once writes them); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("Exit 1 when the p99 latency is above this.", valueName: "duration"))
        var slo: String?

        @Option(help: ArgumentHelp("Judge the lists against the content.start events in this store.", valueName: "file"))
        var store: String?

        @Option(name: .short, help: "Items judged per list.")
        var k = 10

        @Option(help: ArgumentHelp("Write report.json and report.html to DIR.", valueName: "dir"))
        var report: String?

        @OptionGroup var counters: ReportOptions

        func validate() throws {
            if let slo { _ = try DurationText.flag(slo, "--slo") }
        }

        func run() throws {
            let measure = ReplayMeasure(collectServed: store != nil)
            for source in InputSource.list(files) {
                try LineReader(source: source).forEachLine { measure.accept($0.bytes) }
            }
            var serve = ServeLoop.Stats()
            serve.served = measure.predictions
            var result = ReplayResult(mode: "measure", input: files.isEmpty ? "<stdin>" : files.joined(separator: ","),
                                      pace: PaceStats(), ingest: IngestStats(), featurize: FeaturizeStats(), serve: serve,
                                      measure: measure, k: k)
            result.pace.speed = nil
            result.elapsedSeconds = Double(measure.points.map(\.atMillis).max() ?? 0) / 1000
            if let store {
                let opened = try FeatureStore.openReadOnly(path: store)
                let truth = try ReplayQuality(store: opened)
                try opened.close()
                result.quality = [truth.evaluate(name: "served", k: k, measure.served.map { ($0.userId, $0.eventTime, $0.items) })]
            }
            let sloMicros = try slo.map { UInt64(try DurationText.flag($0, "--slo")) * 1000 }
            let report = ReplayReport(result: result, sloMicros: sloMicros)
            var summary = "replay measure: \(Format.count(measure.predictions)) predictions, \(Format.count(Int(measure.latency.count))) with a replay stamp"
            summary += "\n  latency, event emitted → prediction read: p50 \(ReplayReport.ms(measure.latency.percentile(50))), p90 \(ReplayReport.ms(measure.latency.percentile(90))), p99 \(ReplayReport.ms(measure.latency.percentile(99))), p99.9 \(ReplayReport.ms(measure.latency.percentile(99.9))), max \(ReplayReport.ms(measure.latency.max))"
            if let slo { summary += "\n  SLO p99 ≤ \(slo): \(report.sloMet ? "met" : "MISSED")" }
            for row in result.quality {
                summary += String(format: "\n  quality: recall@%d %.4f, NDCG@%d %.4f over %d predictions", k, row.metrics.recall, k, row.metrics.ndcg, row.metrics.users)
            }
            if let dir = self.report {
                try ReplayReportFiles.write(report, to: dir)
                summary += "\n  report: \(dir)/report.html, \(dir)/report.json"
            }
            try counters.finish(stats: report.json, summary: summary)
            if !report.sloMet { throw StageExit(status: .finding) }
        }
    }
}

enum ReplayReportFiles {
    static func write(_ report: ReplayReport, to dir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try (report.json.rendered(pretty: true) + "\n").write(toFile: dir + "/report.json", atomically: true, encoding: .utf8)
            try report.html.write(toFile: dir + "/report.html", atomically: true, encoding: .utf8)
        } catch {
            throw RTMLError("\(dir): cannot write the report: \(error.localizedDescription)")
        }
    }
}
