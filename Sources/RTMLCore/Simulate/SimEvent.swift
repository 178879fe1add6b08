/// The app events the simulator emits.
enum EventKind: UInt8, CaseIterable {
    case appOpen = 0, contentStart, contentExit, contentComplete, search, biometric

    var name: String {
        switch self {
        case .appOpen: return "app.open"
        case .contentStart: return "content.start"
        case .contentExit: return "content.exit"
        case .contentComplete: return "content.complete"
        case .search: return "search"
        case .biometric: return "biometric"
        }
    }
}

/// How an event's time appears in its line (see docs/simulator.md for the shares).
enum TimeStyle: UInt8 {
    /// `"timestamp":"2026-11-26T08:00:00.123Z"`
    case utc = 0
    /// The same instant written in another offset: `"2026-11-26T09:00:00.123+01:00"`.
    case offset
    /// `"timestamp":1795680000123` (epoch milliseconds).
    case epochMillis
    /// No `timestamp`: `originalTimestamp` and `sentAt` from a skewed device clock.
    case sentAt
}

/// One line to write, in a compact fixed-size form so that sorting and merging move
/// no heap-allocated data. Fields `a` and `b` depend on the kind (see `EventWriter`).
struct SimEvent: Comparable {
    var receivedAt: Int64
    var eventTime: Int64
    var messageId: UInt64
    var user: Int32
    /// Unique per user and day: session index << 12 | event number in the session.
    var seq: Int32
    var a: Int32
    var b: Int32
    /// `sentAt` style: device clock offset (ms). Offset style: minutes east of UTC.
    var skewMs: Int32 = 0
    /// `sentAt` style: milliseconds between `sentAt` and `receivedAt` (network time).
    var netMs: Int32 = 0
    var kind: EventKind
    var timeStyle: TimeStyle = .utc
    /// 0 for a good line, else `MalformedKind.rawValue + 1`.
    var malformed: UInt8 = 0
    var flags: UInt8 = 0

    static let resend: UInt8 = 1
    static let late: UInt8 = 2
    static let noMessageId: UInt8 = 4
    static let anonymous: UInt8 = 8

    @inline(__always)
    static func < (l: SimEvent, r: SimEvent) -> Bool {
        if l.receivedAt != r.receivedAt { return l.receivedAt < r.receivedAt }
        if l.user != r.user { return l.user < r.user }
        if l.seq != r.seq { return l.seq < r.seq }
        return (l.flags & resend) < (r.flags & resend)
    }

    @inline(__always)
    static func == (l: SimEvent, r: SimEvent) -> Bool {
        l.receivedAt == r.receivedAt && l.user == r.user && l.seq == r.seq
            && (l.flags & resend) == (r.flags & resend)
    }
}
