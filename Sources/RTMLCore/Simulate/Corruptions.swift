/// The kinds of broken line `--malformed-rate` produces, chosen with equal odds.
enum MalformedKind: UInt8, CaseIterable {
    /// The line stops part-way (a crashed writer or a cut upload).
    case truncated = 0
    /// Neither `userId` nor `anonymousId`.
    case missingUser
    /// No `event` field.
    case missingEvent
    /// `"timestamp":"26/11/2026"`.
    case timestampDayMonthYear
    /// `"timestamp":"yesterday"`.
    case timestampWord
    /// A date that does not exist: `"2026-02-30T08:00:00.123Z"`.
    case timestampOutOfRange
    /// `"userId":42`.
    case userIdNumber
    /// `"properties":"contentId=c17"`.
    case propertiesString
    /// `"timestamp":true`.
    case timestampBool
    /// Bytes 0xFF 0xFE inside the `userId` string (not UTF-8).
    case invalidUTF8
    /// `...},}`: a comma before the closing brace.
    case trailingComma
    /// A JSON array holding the event, or a bare number.
    case notAnObject
}

/// How events travel from the device to the collector: delays, the variety of
/// envelope shapes, and the corruptions the command-line rates ask for.
///
/// Every event draws the same number of random values whatever the rates, so a
/// day with corruptions is the clean day of the same seed with some lines
/// changed, added or delayed.
struct Delivery {
    var malformedRate: Double
    var duplicateRate: Double
    var lateRate: Double

    /// Share of good events per time style: 4 % offset, 4 % epoch ms,
    /// 1 % `sentAt` + `originalTimestamp`, the rest UTC.
    static let offsetShare = 0.04, epochShare = 0.04, sentAtShare = 0.01
    /// Share of events sent without a `messageId` (never re-sent ones).
    static let noMessageIdShare = 0.01
    /// Offsets (minutes east of UTC) of devices that report local time.
    static let offsets: [Int32] = [60, 120, -300, 330, 540, -480, -180, 600]

    /// Assigns arrival, identity and shape to `event` and passes the line(s) to `push`:
    /// the event itself, then its re-send when there is one.
    @inline(__always)
    func deliver(_ event: SimEvent, skewMs: Int64, _ rng: inout Xoshiro256StarStar, push: (SimEvent) -> Void) {
        var e = event
        e.messageId = rng.next()
        let uMalformed = rng.unit(), uKind = rng.unit()
        let uDup = rng.unit(), uDupDelay = rng.unit()
        let uLate = rng.unit(), uLateDelay = rng.unit()
        let uStyle = rng.unit(), uStyleParam = rng.unit()
        let uNoId = rng.unit(), uDelayClass = rng.unit(), uDelay = rng.unit()

        // Delay from event to collector: mostly under 2 s, a tail to 5 minutes.
        let delay: Double
        if uDelayClass < 0.85 {
            delay = 40 * DetMath.exp(uDelay * ln50)            // 40 ms – 2 s
        } else if uDelayClass < 0.99 {
            delay = 2000 * DetMath.exp(uDelay * ln15)          // 2 s – 30 s
        } else {
            delay = 30_000 * DetMath.exp(uDelay * ln10)        // 30 s – 5 min
        }
        e.receivedAt = e.eventTime + Int64(delay)

        if uMalformed < malformedRate {
            e.malformed = UInt8(min(Int(uKind * 12), 11)) + 1
            push(e)
            return
        }
        let duplicate = uDup < duplicateRate
        if uLate < lateRate {
            // An offline device syncing 20 minutes to 3 hours later.
            e.receivedAt = e.eventTime + Int64(1_200_000 * DetMath.exp(uLateDelay * ln9))
            e.flags |= SimEvent.late
        }
        if uStyle < Self.offsetShare {
            e.timeStyle = .offset
            e.skewMs = Self.offsets[min(Int(uStyleParam * 8), 7)]
        } else if uStyle < Self.offsetShare + Self.epochShare {
            e.timeStyle = .epochMillis
        } else if uStyle < Self.offsetShare + Self.epochShare + Self.sentAtShare {
            e.timeStyle = .sentAt
            e.skewMs = Int32(skewMs)
            // Segment's correction assumes sentAt → receivedAt is network time only.
            e.netMs = Int32(min(e.receivedAt - e.eventTime, Int64(20 + uStyleParam * 130)))
        }
        if !duplicate && uNoId < Self.noMessageIdShare { e.flags |= SimEvent.noMessageId }
        push(e)
        if duplicate {
            var copy = e
            copy.flags |= SimEvent.resend
            copy.receivedAt = e.receivedAt + Int64(200 * DetMath.exp(uDupDelay * ln150))   // 0.2 – 30 s
            push(copy)
        }
    }

    // Instance constants: statics would cost a lazy-initialisation check per event.
    private let ln50 = DetMath.log(50), ln15 = DetMath.log(15), ln10 = DetMath.log(10)
    private let ln9 = DetMath.log(9), ln150 = DetMath.log(150)

    init(malformedRate: Double, duplicateRate: Double, lateRate: Double) {
        self.malformedRate = malformedRate
        self.duplicateRate = duplicateRate
        self.lateRate = lateRate
    }
}
