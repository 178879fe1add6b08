// Throughput of JSONScanner on realistic event lines, built outside SwiftPM
// by run.sh so it never becomes a product. Prints MB/s and lines/s.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small deterministic generator, so runs compare like with like.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
func pad3(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }

/// Event lines shaped like the simulator's output: varied ids, events,
/// property sets, and now and then an escape or a non-ASCII query.
func makeLines(_ count: Int) -> (bytes: [UInt8], ends: [Int]) {
    var rng = SplitMix64(state: 42)
    let events = ["app.open", "content.start", "content.exit", "content.complete", "search", "biometric"]
    let categories = ["sleep", "focus", "move", "meditate", "stress"]
    let queries = ["deep sleep", "focus music", "calme du soir", "ré\\u00e9veil", "ストレス", "breathing \\\"box\\\""]
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count * 220)
    var ends: [Int] = []
    ends.reserveCapacity(count)
    for _ in 0..<count {
        let event = events[rng.below(events.count)]
        let hex = String(rng.next() & 0xFFFFFF, radix: 16)
        let user = rng.below(100_000)
        let day = 1 + rng.below(28), hour = rng.below(24), minute = rng.below(60), second = rng.below(60)
        let ms = rng.below(1000)
        let time = "2026-11-\(pad2(day))T\(pad2(hour)):\(pad2(minute)):\(pad2(second)).\(pad3(ms))Z"
        let received = "2026-11-\(pad2(day))T\(pad2(hour)):\(pad2(minute)):\(pad2(second)).\(pad3((ms + 897) % 1000))Z"
        let properties: String
        switch event {
        case "app.open":
            properties = "{\"platform\":\"\(rng.below(2) == 0 ? "ios" : "android")\"}"
        case "search":
            properties = "{\"query\":\"\(queries[rng.below(queries.count)])\"}"
        case "biometric":
            properties = "{\"steps\":\(rng.below(5000)),\"heartRate\":\(50 + rng.below(90)).\(rng.below(10))}"
        case "content.exit":
            properties = "{\"contentId\":\"c\(rng.below(500))\",\"category\":\"\(categories[rng.below(5)])\",\"positionSec\":\(rng.below(3600))}"
        case "content.complete":
            properties = "{\"contentId\":\"c\(rng.below(500))\",\"category\":\"\(categories[rng.below(5)])\",\"rating\":\(1 + rng.below(5))}"
        default:
            properties = "{\"contentId\":\"c\(rng.below(500))\",\"category\":\"\(categories[rng.below(5)])\",\"durationSec\":\(60 * (1 + rng.below(60)))}"
        }
        let line = "{\"messageId\":\"m-\(hex)\",\"type\":\"track\",\"event\":\"\(event)\",\"userId\":\"u\(user)\",\"timestamp\":\"\(time)\",\"receivedAt\":\"\(received)\",\"properties\":\(properties)}"
        bytes.append(contentsOf: line.utf8)
        ends.append(bytes.count)
    }
    return (bytes, ends)
}

/// The lines of an NDJSON file, without their newlines, packed end to end.
func readLines(_ path: String) -> (bytes: [UInt8], ends: [Int]) {
    guard let file = fopen(path, "rb") else {
        fputs("cannot open \(path)\n", stderr)
        exit(66)
    }
    defer { fclose(file) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n <= 0 { break }
        data.append(contentsOf: chunk[0..<n])
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(data.count)
    var ends: [Int] = []
    var lineStart = 0
    for i in 0...data.count where i == data.count || data[i] == UInt8(ascii: "\n") {
        if i > lineStart {
            bytes.append(contentsOf: data[lineStart..<i])
            ends.append(bytes.count)
        }
        lineStart = i + 1
    }
    return (bytes, ends)
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

@main
struct Bench {
    static func main() {
        // A number makes that many generated lines; anything else is read as
        // an NDJSON file (such as `rtml simulate` writes), one text per line.
        let argument = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "1000000"
        let (bytes, ends): ([UInt8], [Int])
        if let n = Int(argument) {
            (bytes, ends) = makeLines(n)
        } else {
            (bytes, ends) = readLines(argument)
        }
        let count = ends.count
        print("lines: \(count), bytes: \(bytes.count) (\(bytes.count / count) per line)")
        var scanner = JSONScanner()
        bytes.withUnsafeBytes { all in
            let base = all.baseAddress!
            for round in 0..<3 {
                // Scan and validate only.
                var start = 0
                var objects = 0
                let t0 = now()
                for end in ends {
                    let line = UnsafeRawBufferPointer(start: base + start, count: end - start)
                    if (try? scanner.scan(line)) == .object { objects += scanner.members.count }
                    start = end
                }
                let t1 = now()
                // Scan plus what ingest reads: five lookups and the properties' members.
                start = 0
                var found = 0
                var nested: [JSONMember] = []
                let t2 = now()
                for end in ends {
                    let line = UnsafeRawBufferPointer(start: base + start, count: end - start)
                    if (try? scanner.scan(line)) == .object {
                        if scanner.member("event", in: line) != nil { found += 1 }
                        if scanner.member("userId", in: line) != nil { found += 1 }
                        if scanner.member("messageId", in: line) != nil { found += 1 }
                        if scanner.member("timestamp", in: line) != nil { found += 1 }
                        if let i = scanner.member("properties", in: line) {
                            let m = scanner.members[i]
                            JSONScanner.members(ofObjectIn: line, from: m.valueStart, to: m.valueEnd, into: &nested)
                            found += nested.count
                        }
                    }
                    start = end
                }
                let t3 = now()
                let mb = Double(bytes.count) / 1e6
                print("round \(round): scan \(Int(mb / (t1 - t0))) MB/s, \(Int(Double(count) / (t1 - t0))) lines/s, \(String(format3(t1 - t0))) s (members \(objects))"
                    + " | scan+lookups \(Int(mb / (t3 - t2))) MB/s, \(String(format3(t3 - t2))) s (found \(found))")
            }
        }
    }

    static func format3(_ x: Double) -> String {
        let ms = Int((x * 1000).rounded())
        return "\(ms / 1000).\(pad3(ms % 1000))"
    }
}
