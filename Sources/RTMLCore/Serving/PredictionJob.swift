/// One prediction job as featurize writes it (DESIGN.md "Features"):
/// `{"jobId":"j-...","userId":"u42","trigger":"search","eventTime":"...","emittedAt":"...","attempt":1}`.
/// Unknown members are ignored; `attempt` defaults to 1.
public struct PredictionJob: Sendable, Equatable {
    public var jobId: String
    public var userId: String
    public var trigger: String?
    /// Event time of the triggering event (epoch ms); the prediction is "as of" it.
    public var eventTime: Int64
    public var eventTimeText: String
    public var emittedAt: String?
    public var attempt: Int
    /// The replay stamp's members as they came (`,"replaySeq":N,"replayedAt":"..."`), for the prediction.
    public var replayStamp: [UInt8]? = nil

    public init(jobId: String, userId: String, trigger: String? = nil, eventTime: Int64, eventTimeText: String? = nil,
                emittedAt: String? = nil, attempt: Int = 1) {
        self.jobId = jobId
        self.userId = userId
        self.trigger = trigger
        self.eventTime = eventTime
        self.eventTimeText = eventTimeText ?? EventTime.formatRFC3339(eventTime)
        self.emittedAt = emittedAt
        self.attempt = attempt
    }

    /// Why a line is not a job: the dead-letter reason.
    public struct Malformed: Error, Sendable, Equatable {
        public var reason: String
        /// The attempt number the line carried, when it could be read.
        public var attempt: Int
    }

    /// Parses one line. `scanner` is reused across lines.
    public static func parse(_ bytes: UnsafeRawBufferPointer, scanner: inout JSONScanner) -> Result<PredictionJob, Malformed> {
        let kind: JSONValueKind
        do { kind = try scanner.scan(bytes) } catch {
            return .failure(Malformed(reason: "not JSON: \(error)", attempt: 1))
        }
        guard kind == .object else { return .failure(Malformed(reason: "not a JSON object", attempt: 1)) }
        let members = scanner.members
        func string(_ key: StaticString) -> String? {
            guard let k = JSONScanner.firstIndex(of: key, in: members, bytes: bytes), members[k].kind == .string else { return nil }
            return JSONString.decodeValue(of: members[k], in: bytes)
        }
        var attempt = 1
        if let k = JSONScanner.firstIndex(of: "attempt", in: members, bytes: bytes) {
            guard members[k].kind == .number, let n = JSONNumber.int64(of: members[k], in: bytes), n >= 1, n < 1_000_000 else {
                return .failure(Malformed(reason: "attempt is not a positive integer", attempt: 1))
            }
            attempt = Int(n)
        }
        guard let jobId = string("jobId"), !jobId.isEmpty else {
            return .failure(Malformed(reason: "no jobId", attempt: attempt))
        }
        guard let userId = string("userId"), !userId.isEmpty else {
            return .failure(Malformed(reason: "no userId", attempt: attempt))
        }
        guard let timeText = string("eventTime") else {
            return .failure(Malformed(reason: "no eventTime", attempt: attempt))
        }
        guard case .success(let time) = EventTime.parseRFC3339(timeText) else {
            return .failure(Malformed(reason: "eventTime is not an RFC 3339 time", attempt: attempt))
        }
        var job = PredictionJob(
            jobId: jobId, userId: userId, trigger: string("trigger"), eventTime: time, eventTimeText: timeText,
            emittedAt: string("emittedAt"), attempt: attempt)
        var stamp: [UInt8] = []
        ReplayStamp.carry(from: bytes, to: &stamp)
        if !stamp.isEmpty { job.replayStamp = stamp }
        return .success(job)
    }
}
