/// What a simulated day contains, as `--stats` reports it.
public struct SimulationStats: Equatable, Sendable {
    /// Users simulated (`--users`).
    public var users = 0
    /// Users with at least one session.
    public var activeUsers = 0
    /// Lines written, good and malformed.
    public var events = 0
    /// Good lines by event name, re-sends included (so the counts plus
    /// `malformed` add up to `events`).
    public var byEvent: [String: Int] {
        Dictionary(uniqueKeysWithValues: EventKind.allCases.map { ($0.name, kindCounts[Int($0.rawValue)]) })
    }
    public var malformed = 0
    /// Re-sent lines (same `messageId` as an earlier line).
    public var duplicates = 0
    /// Lines delivered 20 minutes or more after their event time.
    public var late = 0
    var kindCounts = [Int](repeating: 0, count: EventKind.allCases.count)

    public init() {}

    @inline(__always)
    mutating func count(_ kind: EventKind) {
        kindCounts[Int(kind.rawValue)] += 1
    }

    /// The counters as one JSON object (keys in a fixed order).
    public func json(date: String, seed: UInt64) -> String {
        var s = "{\"users\":\(users),\"activeUsers\":\(activeUsers),\"date\":\"\(date)\",\"seed\":\(seed),\"events\":\(events)"
        s += ",\"byEvent\":{"
        s += EventKind.allCases.map { "\"\($0.name)\":\(kindCounts[Int($0.rawValue)])" }.joined(separator: ",")
        s += "},\"malformed\":\(malformed),\"duplicates\":\(duplicates),\"late\":\(late)}"
        return s
    }
}
