// Throughput of the feature engine alone (no SQLite, no JSON): a synthetic
// day shaped like `rtml simulate` output (sessions of biometrics, plays,
// searches; arrival jitter mostly under 2 s, some up to 5 min; a few late
// deliveries), fed in micro-batches the way featurize's driver does.
// Usage: Benchmarks/features/run.sh [events] [batch]
import Foundation

struct Rng {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

@main
struct FeatureBench {
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        let digestOnly = args.contains("--digest")
        args.removeAll { $0 == "--digest" }
        let source = args.count > 0 ? args[0] : "1000000"
        let batch = args.count > 1 ? Int(args[1])! : 5000
        let rounds = args.count > 2 ? Int(args[2])! : 3
        let events: [FeatureEvent]
        if let total = Int(source) {
            events = generate(total)
            print("input: \(events.count) synthetic events, \(Set(events.map(\.userId)).count) users, batches of \(batch)")
        } else {
            events = load(source)
            print("input: \(events.count) events of \(source), \(Set(events.map(\.userId)).count) users, batches of \(batch)")
        }
        if digestOnly {
            print("digest: \(digest(events, batch: batch))")
            return
        }
        for round in 0..<rounds {
            runRound(round + 1, events, batch: batch)
        }
    }

    /// Canonical event lines (what `rtml ingest` writes), parsed as featurize does.
    static func load(_ path: String) -> [FeatureEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
        var parser = FeatureEventParser()
        var events: [FeatureEvent] = []
        data.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
            var lineStart = 0
            for i in 0..<all.count where all[i] == 0x0A {
                if i > lineStart, let e = try? parser.parse(UnsafeRawBufferPointer(rebasing: all[lineStart..<i])) {
                    events.append(e)
                }
                lineStart = i + 1
            }
        }
        return events
    }

    /// One timed pass (callgrind: `--toggle-collect='*runRound*'`).
    @inline(never)
    static func runRound(_ round: Int, _ events: [FeatureEvent], batch: Int) {
        let engine = FeatureEngine(config: FeatureConfig(), embeddings: .hashing(dimensions: 64))
        var accepted = 0, late = 0, triggers = 0, windows = 0, online = 0
        var checkpointBytes = 0
        var checkpointTime = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = cpuSeconds()
        var i = 0
        while i < events.count {
            let end = min(i + batch, events.count)
            for k in i..<end {
                switch engine.process(events[k]) {
                case .late: late += 1
                case .accepted(_, let trigger):
                    accepted += 1
                    if trigger != nil { triggers += 1 }
                }
            }
            windows += engine.takeFinalWindowList().count
            online += engine.takeChangedOnlineRows().count
            let c0 = DispatchTime.now().uptimeNanoseconds
            checkpointBytes += engine.encodeGlobalState().count
            for (_, state) in engine.takeDirtyUserStates() { checkpointBytes += state?.count ?? 0 }
            checkpointBytes += engine.takeDirtyWindows().count * 40
            checkpointTime += Double(DispatchTime.now().uptimeNanoseconds - c0) / 1e9
            i = end
        }
        engine.flushAll()
        windows += engine.takeFinalWindowList().count
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = cpuSeconds() - cpuStart
        let engineSeconds = seconds - checkpointTime
        print(String(
            format: "round %d: %.3f s wall, %.3f s CPU; %.0f events/s engine alone, %.0f with checkpoint encoding, %.0f per CPU second; accepted %d, late %d, triggers %d, windows %d, online rows %d, checkpoint %.1f MB, users at end %d",
            round, seconds, cpu, Double(events.count) / engineSeconds, Double(events.count) / seconds, Double(events.count) / cpu,
            accepted, late, triggers, windows, online, Double(checkpointBytes) / 1e6, engine.userCount))
    }

    /// A hash of every output (rows, triggers, late verdicts, windows, online
    /// rows, dirty windows and users), to compare two builds of the engine.
    static func digest(_ events: [FeatureEvent], batch: Int) -> String {
        let engine = FeatureEngine(config: FeatureConfig(), embeddings: .hashing(dimensions: 64))
        var d = FeatureOutputDigest()
        var i = 0
        while i < events.count {
            let end = min(i + batch, events.count)
            for k in i..<end { d.add(engine.process(events[k])) }
            d.drain(engine)
            i = end
        }
        engine.flushAll()
        d.drain(engine)
        return d.hex
    }

    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func generate(_ total: Int) -> [FeatureEvent] {
        var rng = Rng(s: 7)
        let day: Int64 = 1_795_651_200_000
        let users = max(1, total / 80)
        let userIds = (1...users).map { "u\($0)" }
        let queries = ["can't sleep", "focus for exam", "morning run", "guided meditation", "anxiety relief",
                       "help me relax tonight", "deep work music", "stress before exam 10 minutes"]
        let categories = ContentCategory.allCases
        var out: [(received: Int64, event: FeatureEvent)] = []
        out.reserveCapacity(total + 64)
        while out.count < total {
            let user = userIds[rng.below(users)]
            var t = day + Int64(rng.below(86_000_000))
            let length = 20 + rng.below(60)
            for _ in 0..<length {
                t += Int64(20_000 + rng.below(40_000))
                let r = rng.unit()
                let name: String
                var e: FeatureEvent
                if r < 0.39 {
                    name = "biometric"
                    e = FeatureEvent(userId: user, event: name, eventTime: t, receivedAt: 0, messageId: "")
                    e.steps = Double(rng.below(120))
                    e.heartRate = Double(60 + rng.below(80))
                } else if r < 0.63 {
                    e = FeatureEvent(userId: user, event: "content.start", eventTime: t, receivedAt: 0, messageId: "")
                    e.category = categories[rng.below(5)]
                } else if r < 0.80 {
                    e = FeatureEvent(userId: user, event: "content.exit", eventTime: t, receivedAt: 0, messageId: "")
                    e.category = categories[rng.below(5)]
                    e.positionSec = Double(rng.below(600))
                } else if r < 0.87 {
                    e = FeatureEvent(userId: user, event: "content.complete", eventTime: t, receivedAt: 0, messageId: "")
                    e.category = categories[rng.below(5)]
                } else if r < 0.97 {
                    e = FeatureEvent(userId: user, event: "app.open", eventTime: t, receivedAt: 0, messageId: "")
                } else {
                    e = FeatureEvent(userId: user, event: "search", eventTime: t, receivedAt: 0, messageId: "")
                    e.query = queries[rng.below(queries.count)]
                }
                let jitter = rng.unit()
                let delay: Int64 = jitter < 0.85 ? Int64(40 + rng.below(2000))
                    : jitter < 0.99 ? Int64(2000 + rng.below(28_000))
                    : jitter < 0.999 ? Int64(30_000 + rng.below(270_000)) : Int64(1_200_000 + rng.below(7_200_000))
                e.receivedAt = t + delay
                out.append((e.receivedAt, e))
            }
        }
        out.sort { $0.received < $1.received }
        return out.prefix(total).map(\.event)
    }
}
