import Foundation

/// A replay's figures as JSON (`report.json`), a text summary (stderr) and a
/// self-contained HTML page with SVG charts (`report.html`, no network).
public struct ReplayReport {
    public struct Bucket: Sendable {
        public var startSeconds: Double
        public var emitted: Int
        public var predictions: Int
        public var p50Micros: UInt64
        public var p99Micros: UInt64
        public var maxMicros: UInt64
        /// Events emitted but not yet through to a prediction at the bucket's end.
        public var backlog: Int
    }

    public let result: ReplayResult
    /// `--slo`: the p99 end-to-end latency to meet, µs.
    public let sloMicros: UInt64?
    public let buckets: [Bucket]
    public let bucketSeconds: Double

    public init(result: ReplayResult, sloMicros: UInt64?) {
        self.result = result
        self.sloMicros = sloMicros
        let elapsedMillis = max(100, Int(result.elapsedSeconds * 1000))
        let tenths = max(1, Int((Double(elapsedMillis) / 100 / 300).rounded(.up)))
        let width = tenths * 100
        bucketSeconds = Double(width) / 1000
        let count = max(1, (elapsedMillis + width - 1) / width)
        var latencies = [[UInt32]](repeating: [], count: count)
        var maxSeq = [Int](repeating: 0, count: count)
        for p in result.measure.points {
            let b = min(count - 1, max(0, Int(p.atMillis) / width))
            latencies[b].append(p.latencyMicros)
            maxSeq[b] = max(maxSeq[b], Int(p.seq))
        }
        var emitted = [Int](repeating: 0, count: count)
        for (t, n) in result.pace.emittedPerTenth.enumerated() { emitted[min(count - 1, t / tenths)] += n }
        var out: [Bucket] = []
        var cumEmitted = 0, seqThrough = 0
        for b in 0..<count {
            cumEmitted += emitted[b]
            seqThrough = max(seqThrough, maxSeq[b])
            let sorted = latencies[b].sorted()
            func pct(_ q: Double) -> UInt64 {
                guard !sorted.isEmpty else { return 0 }
                let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
                return UInt64(sorted[min(sorted.count - 1, max(0, rank))])
            }
            out.append(Bucket(startSeconds: Double(b) * bucketSeconds, emitted: emitted[b], predictions: sorted.count,
                              p50Micros: pct(0.5), p99Micros: pct(0.99), maxMicros: UInt64(sorted.last ?? 0),
                              backlog: max(0, cumEmitted - seqThrough)))
        }
        buckets = out
    }

    public var latency: LatencyRecorder { result.measure.latency }
    public var sloMet: Bool { sloMicros.map { latency.percentile(99) <= $0 } ?? true }

    static let percentiles: [Double] = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]

    /// Relative change of `a` over `b`, in percent (nil when b is 0).
    static func lift(_ a: Double, over b: Double) -> Double? { b > 0 ? (a / b - 1) * 100 : nil }

    var rerankLift: (recall: Double?, ndcg: Double?)? {
        let rows = result.quality
        guard let with = rows.first(where: { $0.name == "model + rerank" }),
              let alone = rows.first(where: { $0.name == "model alone" }) else { return nil }
        return (Self.lift(with.metrics.recall, over: alone.metrics.recall), Self.lift(with.metrics.ndcg, over: alone.metrics.ndcg))
    }

    private static func r(_ x: Double, _ digits: Double = 10000) -> JSONValue { .double((x * digits).rounded() / digits) }

    public var json: JSONValue {
        let r0 = result
        let elapsed = max(r0.elapsedSeconds, 1e-9)
        var rejectedByReason: [String: Int] = [:]
        for (k, v) in r0.ingest.rejectedByReason { rejectedByReason[k.rawValue, default: 0] += v }
        for (k, v) in r0.featurize.rejectedByReason { rejectedByReason[k.rawValue, default: 0] += v }
        var quality: [(String, JSONValue)] = [("k", .int(r0.k))]
        quality.append(("rows", .array(r0.quality.map { row in
            .object([("name", .string(row.name)), ("recall_at_k", Self.r(row.metrics.recall)), ("ndcg_at_k", Self.r(row.metrics.ndcg)),
                     ("precision_at_k", Self.r(row.metrics.precision)), ("map_at_k", Self.r(row.metrics.map)),
                     ("predictions", .int(row.metrics.users))])
        })))
        if let lift = rerankLift {
            quality.append(("rerank_lift_pct", .object([("recall", lift.recall.map { Self.r($0, 100) } ?? .null),
                                                        ("ndcg", lift.ndcg.map { Self.r($0, 100) } ?? .null)])))
        }
        quality.append(("seconds", Self.r(r0.qualitySeconds, 1000)))
        return .object([
            ("input", .string(r0.input)),
            ("mode", .string(r0.mode)),
            ("speed", r0.pace.speed.map { .double($0) } ?? .string("as-fast-as-possible")),
            ("model", .string(r0.model)),
            ("rerank", r0.rerank.map(JSONValue.string) ?? .null),
            ("work_store", .string(r0.workStore)),
            ("events", .object([
                ("read", .int(r0.pace.read)), ("emitted", .int(r0.pace.emitted)), ("skipped", .int(r0.pace.skipped)),
                ("accepted", .int(r0.featurize.accepted)), ("duplicates", .int(r0.ingest.duplicates)),
                ("rejected", .int(r0.ingest.rejected + r0.featurize.rejected)), ("late", .int(r0.featurize.late)),
                ("rejected_by_reason", .object(rejectedByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ])),
            ("jobs", .int(r0.featurize.jobs)),
            ("predictions", .object([
                ("served", .int(r0.serve.served)), ("cold_start", .int(r0.serve.coldStart)),
                ("dead_lettered", .int(r0.serve.deadLettered)), ("failed", .int(r0.serve.failed)),
                ("measured", .int(Int(latency.count))), ("unstamped", .int(r0.measure.unstamped)),
                ("waited_for_commit", .int(r0.jobsWaitedForCommit)), ("passed_uncommitted", .int(r0.jobsPassedUncommitted)),
            ])),
            ("latency", latency.json),
            ("slo", sloMicros.map { slo in .object([("p99_target_us", .uint(slo)), ("met", .bool(sloMet))]) } ?? .null),
            ("throughput", .object([
                ("elapsed_s", Self.r(r0.elapsedSeconds, 1000)),
                ("events_per_s", .int(Int(Double(r0.pace.emitted) / elapsed))),
                ("jobs_per_s", .int(Int(Double(r0.featurize.jobs) / elapsed))),
                ("predictions_per_s", .int(Int(Double(r0.serve.served) / elapsed))),
            ])),
            ("pacing", r0.pace.json),
            ("percentiles", .array(Self.percentiles.map { p in .object([("percentile", .double(p)), ("latency_us", .uint(latency.percentile(p)))]) })),
            ("timeline", .object([
                ("bucket_s", .double(bucketSeconds)),
                ("buckets", .array(buckets.map { b in
                    .object([("t_s", Self.r(b.startSeconds, 1000)), ("emitted", .int(b.emitted)), ("predictions", .int(b.predictions)),
                             ("p50_us", .uint(b.p50Micros)), ("p99_us", .uint(b.p99Micros)), ("max_us", .uint(b.maxMicros)),
                             ("backlog", .int(b.backlog))])
                })),
            ])),
            ("quality", .object(quality)),
            ("stages", .object([("ingest", r0.ingest.json), ("featurize", r0.featurize.json), ("serve", r0.serve.json)])),
        ])
    }

    public static func ms(_ us: UInt64) -> String { String(format: "%.3f ms", Double(us) / 1000) }

    public var summary: String {
        let r0 = result
        let elapsed = max(r0.elapsedSeconds, 1e-9)
        var lines: [String] = []
        let speed = r0.pace.speed.map { String(format: "speed %g", $0) } ?? "as fast as possible"
        lines.append("replay: \(r0.input), \(speed): \(Format.count(r0.pace.emitted)) events → \(Format.count(r0.featurize.jobs)) jobs → \(Format.count(r0.serve.served)) predictions in \(String(format: "%.3f", r0.elapsedSeconds)) s")
        lines.append("  throughput: \(Format.count(Int(Double(r0.pace.emitted) / elapsed))) events/s, \(Format.count(Int(Double(r0.featurize.jobs) / elapsed))) jobs/s; rejected \(Format.count(r0.ingest.rejected + r0.featurize.rejected)) (late \(Format.count(r0.featurize.late))), duplicates \(Format.count(r0.ingest.duplicates))")
        if r0.mode == "in-process" {
            lines.append("  jobs held until their event's features were committed: \(Format.count(r0.jobsWaitedForCommit))\(r0.jobsPassedUncommitted > 0 ? ", passed uncommitted after 5 s: \(Format.count(r0.jobsPassedUncommitted))" : "")")
        }
        lines.append("  latency, event emitted → prediction available: p50 \(Self.ms(latency.percentile(50))), p90 \(Self.ms(latency.percentile(90))), p99 \(Self.ms(latency.percentile(99))), p99.9 \(Self.ms(latency.percentile(99.9))), max \(Self.ms(latency.max))")
        if r0.pace.speed != nil {
            lines.append("  pacing: scheduled \(String(format: "%.3f", r0.pace.scheduledSeconds)) s; lag p99 \(Self.ms(r0.pace.lag.percentile(99))), max \(Self.ms(r0.pace.lag.max)); \(Format.count(r0.pace.behind)) events more than 10 ms behind; max backlog \(Format.count(buckets.map(\.backlog).max() ?? 0)) events")
        }
        if let slo = sloMicros {
            lines.append("  SLO p99 ≤ \(Self.ms(slo)): \(sloMet ? "met" : "MISSED")")
        }
        if !r0.quality.isEmpty {
            lines.append("  quality (next content started, k=\(r0.k), \(Format.count(r0.quality.first?.metrics.users ?? 0)) predictions judged):")
            for row in r0.quality {
                let name = row.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                lines.append(String(format: "    %@ recall@%d %.4f  NDCG@%d %.4f", name as NSString, r0.k, row.metrics.recall, r0.k, row.metrics.ndcg))
            }
            if let lift = rerankLift {
                lines.append(String(format: "  real-time rerank lift over the model alone: recall %+.1f %%, NDCG %+.1f %%", lift.recall ?? 0, lift.ndcg ?? 0))
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: HTML

    public var html: String {
        let r0 = result
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let ms = { (us: UInt64) in Double(us) / 1000 }
        let latencyChart = SVGChart.lines(
            id: "latency-over-time", title: "Latency over time (per \(String(format: "%g", bucketSeconds)) s)", xLabel: "replay time (s)", yLabel: "latency (ms)",
            series: [("p50", "#1f77b4", buckets.filter { $0.predictions > 0 }.map { ($0.startSeconds, ms($0.p50Micros)) }),
                     ("p99", "#ff7f0e", buckets.filter { $0.predictions > 0 }.map { ($0.startSeconds, ms($0.p99Micros)) }),
                     ("max", "#d62728", buckets.filter { $0.predictions > 0 }.map { ($0.startSeconds, ms($0.maxMicros)) })],
            logY: true)
        let percentileChart = SVGChart.lines(
            id: "latency-percentiles", title: "Latency by percentile", xLabel: "percentile (log scale of 1/(1−p))", yLabel: "latency (ms)",
            series: [("latency", "#2ca02c", Self.percentiles.map { p in (log10(1 / max(1e-5, 1 - p / 100)), ms(latency.percentile(p))) })],
            logY: true, xTicks: Self.percentiles.map { p in (log10(1 / max(1e-5, 1 - p / 100)), p == 100 ? "max" : String(format: "%g", p)) })
        let histogram = SVGChart.bars(id: "latency-histogram", title: "Latency histogram", xLabel: "latency (ms, log bins)", yLabel: "predictions",
                                      bins: Self.histogram(r0.measure.points.map(\.latencyMicros)))
        let perSecond = 1 / bucketSeconds
        let throughputChart = SVGChart.lines(
            id: "throughput", title: "Throughput over time", xLabel: "replay time (s)", yLabel: "per second",
            series: [("events/s", "#9467bd", buckets.map { ($0.startSeconds, Double($0.emitted) * perSecond) }),
                     ("predictions/s", "#8c564b", buckets.map { ($0.startSeconds, Double($0.predictions) * perSecond) }),
                     ("backlog (events)", "#7f7f7f", buckets.map { ($0.startSeconds, Double($0.backlog)) })],
            logY: false)
        var table = "<table id=\"quality\"><tr><th>recommender</th><th>recall@\(r0.k)</th><th>NDCG@\(r0.k)</th><th>precision@\(r0.k)</th><th>predictions judged</th></tr>"
        for row in r0.quality {
            table += String(format: "<tr><td>%@</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>", esc(row.name) as NSString,
                            row.metrics.recall, row.metrics.ndcg, row.metrics.precision, row.metrics.users)
        }
        table += "</table>"
        if let lift = rerankLift {
            table += String(format: "<p class=\"lift\">Real-time rerank lift over the model alone: recall@%d %+.1f %%, NDCG@%d %+.1f %%.</p>", r0.k, lift.recall ?? 0, r0.k, lift.ndcg ?? 0)
        }
        if r0.quality.isEmpty { table = "<p>Quality not computed (--no-quality).</p>" }
        let summaryText = esc(summary)
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>rtml replay report</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;max-width:960px;color:#222}
        h1{font-size:1.4em} h2{font-size:1.1em;margin-top:2em}
        pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}
        table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.3em .8em;text-align:right} td:first-child,th:first-child{text-align:left}
        svg{background:#fff;border:1px solid #ddd} svg text{font-size:11px;font-family:sans-serif}
        </style></head><body>
        <h1>rtml replay: \(esc(r0.input))</h1>
        <pre id="summary">\(summaryText)</pre>
        <h2>Latency, event emitted → prediction available</h2>
        \(latencyChart)
        \(percentileChart)
        \(histogram)
        <h2>Throughput and backlog</h2>
        \(throughputChart)
        <h2>Quality of the served recommendations</h2>
        <p>Judged against the content each user started next (later events only), k = \(r0.k).</p>
        \(table)
        </body></html>

        """
    }

    /// Counts in 24 logarithmic bins between the smallest and largest latency.
    static func histogram(_ values: [UInt32]) -> [(label: String, count: Int)] {
        guard let lo = values.min(), let hi = values.max() else { return [] }
        let a = log(Double(max(lo, 1))), b = log(Double(max(hi, lo + 1)))
        let n = 24
        var counts = [Int](repeating: 0, count: n)
        for v in values {
            let x = (log(Double(max(v, 1))) - a) / (b - a)
            counts[min(n - 1, max(0, Int(x * Double(n))))] += 1
        }
        return counts.enumerated().map { i, c in
            (SVGChart.label(exp(a + (b - a) * Double(i) / Double(n)) / 1000), c)
        }
    }
}

/// Hand-made SVG charts: no scripts, no fonts, nothing fetched.
enum SVGChart {
    static let width = 900.0, height = 300.0
    static let left = 70.0, right = 20.0, top = 30.0, bottom = 45.0

    static func lines(id: String, title: String, xLabel: String, yLabel: String,
                      series: [(String, String, [(Double, Double)])], logY: Bool,
                      xTicks: [(Double, String)]? = nil) -> String {
        let all = series.flatMap(\.2)
        let xs = all.map(\.0), ys = all.map(\.1).map { logY ? max($0, 0.001) : $0 }
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        var y0 = logY ? (ys.min() ?? 0.001) : 0, y1 = max(ys.max() ?? 1, y0 + 1e-9)
        if logY {
            y0 = pow(10, floor(log10(y0)))
            y1 = pow(10, ceil(log10(y1)))
            if y1 <= y0 { y1 = y0 * 10 }
        } else {
            y1 *= 1.05
        }
        let pw = width - left - right, ph = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double {
            let t = logY ? (log10(max(y, y0)) - log10(y0)) / (log10(y1) - log10(y0)) : (y - y0) / (y1 - y0)
            return top + ph - t * ph
        }
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<text x=\"\(left)\" y=\"18\" font-weight=\"bold\">\(title)</text>"
        svg += axes(xLabel: xLabel, yLabel: yLabel)
        // y ticks
        var yTicks: [Double] = []
        if logY {
            var t = y0
            while t <= y1 * 1.0001 { yTicks.append(t); t *= 10 }
        } else {
            for i in 0...4 { yTicks.append(y0 + (y1 - y0) * Double(i) / 4) }
        }
        for t in yTicks {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, py(t), width - right, py(t))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 5, py(t) + 4, label(t) as NSString)
        }
        let ticks = xTicks ?? (0...5).map { i in let x = x0 + (x1 - x0) * Double(i) / 5; return (x, label(x)) }
        for (x, text) in ticks {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", px(x), height - bottom + 15, text as NSString)
        }
        for (i, (name, color, points)) in series.enumerated() {
            if !points.isEmpty {
                let path = points.map { String(format: "%.1f,%.1f", px($0.0), py(logY ? max($0.1, 0.001) : $0.1)) }.joined(separator: " ")
                svg += "<polyline class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>"
            }
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\">%@</text>",
                          width - right - 150, top + 4 + Double(i) * 15, color as NSString, width - right - 135, top + 13 + Double(i) * 15, name as NSString)
        }
        return svg + "</svg>"
    }

    static func bars(id: String, title: String, xLabel: String, yLabel: String, bins: [(label: String, count: Int)]) -> String {
        let pw = width - left - right, ph = height - top - bottom
        let top1 = Double(max(1, bins.map(\.count).max() ?? 1))
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<text x=\"\(left)\" y=\"18\" font-weight=\"bold\">\(title)</text>"
        svg += axes(xLabel: xLabel, yLabel: yLabel)
        let w = pw / Double(max(1, bins.count))
        for (i, bin) in bins.enumerated() {
            let h = Double(bin.count) / top1 * ph
            svg += String(format: "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f77b4\"><title>%@ ms: %d</title></rect>",
                          left + Double(i) * w + 1, top + ph - h, max(1, w - 2), h, bin.label as NSString, bin.count)
            if i % 4 == 0 {
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", left + Double(i) * w + w / 2, height - bottom + 15, bin.label as NSString)
            }
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>", left - 5, top + 4, Int(top1))
        return svg + "</svg>"
    }

    static func axes(xLabel: String, yLabel: String) -> String {
        let ph = height - top - bottom
        return String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>", left, top + ph, width - right, top + ph)
            + String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>", left, top, left, top + ph)
            + String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", left + (width - left - right) / 2, height - 8, xLabel as NSString)
            + String(format: "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">%@</text>", top + ph / 2, top + ph / 2, yLabel as NSString)
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1000 { return String(format: "%.0f", v) }
        return String(format: "%g", (v * 1000).rounded() / 1000)
    }
}
