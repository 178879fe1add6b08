import Foundation

/// What ingest does when a record carries no `receivedAt`.
public enum ReceivedAtDefault: String, CaseIterable, Sendable {
    /// The wall-clock time at which ingest read it (what a receiver does).
    case now
    /// Its event time (reproducible re-runs of an old log).
    case timestamp
}

/// Validates one raw event line and writes its canonical form.
///
/// Fields are kept as byte ranges of the input line; only the ones ingest
/// interprets are decoded. A line whose `messageId`, `timestamp` and
/// `receivedAt` are already canonical is written back byte for byte.
public struct EventNormalizer {
    /// The facts about an accepted event that later steps need.
    public struct Accepted {
        public var eventTime: Int64
        public var receivedAt: Int64
        public var dedupeKey: Hash128
        public var event: KnownEvent?
    }

    public var receivedAtDefault: ReceivedAtDefault
    /// Counters of normalisations done, for `--stats`.
    public private(set) var derivedMessageIds = 0
    public private(set) var derivedTimestamps = 0
    public private(set) var addedReceivedAt = 0

    private var scanner: JSONScanner
    /// Member index of each envelope field in the current line, -1 when absent;
    /// a SIMD value rather than an array, so resetting it per line touches no heap.
    private var slots = SIMD16<Int32>(repeating: -1)
    private var dates = EventTime.DateCache()
    // Per-line state for the writer.
    private var line = UnsafeRawBufferPointer(start: nil, count: 0)
    private var eventTime: Int64 = 0
    private var receivedAt: Int64 = 0
    private var derivedId: [UInt8] = []
    private var canonicalAsIs = false
    private var scratch: [UInt8] = []

    public init(receivedAtDefault: ReceivedAtDefault = .now, maxDepth: Int = 64) {
        self.receivedAtDefault = receivedAtDefault
        scanner = JSONScanner(maxDepth: maxDepth)
        scratch.reserveCapacity(512)
    }

    @inline(__always)
    private func slot(index field: EnvelopeField) -> Int { Int(slots[field.rawValue]) }

    private func slot(_ field: EnvelopeField) -> JSONMember? {
        let index = Int(slots[field.rawValue])
        return index >= 0 ? scanner.members[index] : nil
    }

    /// Checks a line and remembers what `writeCanonical` needs. Throws the reason it is refused.
    public mutating func normalize(_ bytes: UnsafeRawBufferPointer) throws(Rejection) -> Accepted {
        try normalize(bytes, prefetch: { _ in })
    }

    /// `normalize`, calling `prefetch` with the dedupe key as soon as the
    /// messageId is read, before the rest of the checks.
    @inline(__always)
    public mutating func normalize(_ bytes: UnsafeRawBufferPointer, prefetch: (Hash128) -> Void) throws(Rejection) -> Accepted {
        line = bytes
        let kind: JSONValueKind
        do {
            kind = try scanner.scan(bytes)
        } catch {
            throw Rejection(JSONAccess.isUTF8Error(error) ? .invalidUTF8 : .invalidJSON, "invalid JSON at byte \(error.offset): \(error.reason)")
        }
        guard kind == .object else {
            throw Rejection(.notAnObject, "line is a JSON \(JSONAccess.kindName(kind)), not an object")
        }

        slots = SIMD16<Int32>(repeating: -1)
        let members = scanner.members
        for index in members.indices {
            let member = members[index]
            let field: EnvelopeField?
            if member.keyHasEscapes {
                field = EnvelopeField.allCases.first { $0.name == JSONAccess.decodedKey(bytes, member) }
            } else {
                field = EnvelopeField.match(JSONAccess.keyBytes(bytes, member))
            }
            guard let field else { continue }
            if slots[field.rawValue] >= 0 {
                throw Rejection(.duplicateKey, "key \"\(field.name)\" appears more than once")
            }
            slots[field.rawValue] = Int32(truncatingIfNeeded: index)
        }

        // event: a non-empty string.
        guard let eventMember = slot(.event), eventMember.kind != .null else {
            throw Rejection(.missingEvent, "no \"event\" field")
        }
        try requireKind(eventMember, .string, .event)
        if eventMember.valueEnd - eventMember.valueStart == 2 {
            throw Rejection(.missingEvent, "\"event\" is empty")
        }

        // The dedupe key from the messageId, first: the caller starts loading
        // its table slot while the rest of the line is checked.
        var key = Hash128(high: 0, low: 0)
        derivedId.removeAll(keepingCapacity: true)
        var hasMessageId = false
        if let member = slot(.messageId), member.kind != .null {
            try requireKind(member, .string, .messageId)
            if member.valueEnd - member.valueStart == 2 {
                throw Rejection(.wrongType, "\"messageId\" is empty")
            }
            key = member.stringHasEscapes
                ? Hash128(JSONAccess.decodedString(bytes, member))
                : Hash128(JSONAccess.stringContent(bytes, member))
            hasMessageId = true
            prefetch(key)
        }

        // The entity: userId, else anonymousId; null counts as absent (Segment sends null userIds).
        let hasUserId = try hasEntity(.userId)
        let hasAnonymousId = try hasEntity(.anonymousId)
        guard hasUserId || hasAnonymousId else {
            throw Rejection(.missingUser, "no \"userId\" or \"anonymousId\"")
        }

        if let member = slot(.type), member.kind != .null { try requireKind(member, .string, .type) }
        if let member = slot(.properties), member.kind != .null { try requireKind(member, .object, .properties) }

        // Times.
        let received = try time(.receivedAt)
        if let timestampValue = try time(.timestamp) {
            eventTime = timestampValue
        } else if let original = try time(.originalTimestamp) {
            // Segment's clock-skew correction: the device clock's error is
            // sentAt - receivedAt, measured at send time; remove it.
            if let sent = try time(.sentAt), let received {
                eventTime = received - (sent - original)
            } else {
                eventTime = original
            }
            guard eventTime >= EventTime.minMillis, eventTime <= EventTime.maxMillis else {
                throw Rejection(.badTimestamp, "timestamp derived from originalTimestamp, sentAt and receivedAt is out of range")
            }
            derivedTimestamps += 1
        } else {
            throw Rejection(.missingTimestamp, "no \"timestamp\" (and no \"originalTimestamp\" to derive it from)")
        }
        if let received {
            receivedAt = received
        } else {
            receivedAt = receivedAtDefault == .now ? Self.nowMillis() : eventTime
            addedReceivedAt += 1
        }

        if !hasMessageId {
            // No messageId: derive one from the content.
            deriveMessageId()
            key = derivedId.withUnsafeBytes { Hash128($0) }
            derivedMessageIds += 1
        }

        canonicalAsIs = derivedId.isEmpty
            && isCanonicalString(slot(.timestamp))
            && isCanonicalString(slot(.receivedAt))

        let event = eventMember.stringHasEscapes ? nil : KnownEvent.match(JSONAccess.stringContent(bytes, eventMember))
        return Accepted(eventTime: eventTime, receivedAt: receivedAt, dedupeKey: key, event: event)
    }

    /// A non-empty string id in `field`; null or absent is no id, another type an error.
    @inline(__always)
    private func hasEntity(_ field: EnvelopeField) throws(Rejection) -> Bool {
        guard let member = slot(field), member.kind != .null else { return false }
        try requireKind(member, .string, field)
        return member.valueEnd - member.valueStart > 2
    }

    private func requireKind(_ member: JSONMember, _ kind: JSONValueKind, _ field: EnvelopeField) throws(Rejection) {
        guard member.kind == kind else {
            throw Rejection(.wrongType, "\"\(field.name)\" is \(JSONAccess.article(member.kind)), not \(JSONAccess.article(kind))")
        }
    }

    private func isCanonicalString(_ member: JSONMember?) -> Bool {
        guard let member, member.kind == .string, !member.stringHasEscapes else { return false }
        return EventTime.isCanonicalShape(JSONAccess.stringContent(line, member))
    }

    /// Parses a time field: RFC 3339 string or epoch number; nil when absent or null.
    private mutating func time(_ field: EnvelopeField) throws(Rejection) -> Int64? {
        guard let member = slot(field), member.kind != .null else { return nil }
        switch member.kind {
        case .string:
            let parsed: Result<Int64, EventTime.ParseError>
            if member.stringHasEscapes {
                parsed = EventTime.parseRFC3339(JSONAccess.decodedString(line, member))
            } else {
                parsed = EventTime.parseRFC3339(JSONAccess.stringContent(line, member), cache: &dates)
            }
            switch parsed {
            case .success(let millis): return millis
            case .failure(.outOfRange):
                throw Rejection(.badTimestamp, "\(field.name) \(JSONAccess.quotedExcerpt(line, member)) is not a valid date and time between 1970 and 9999")
            case .failure(.malformed):
                throw Rejection(.badTimestamp, "\(field.name) \(JSONAccess.quotedExcerpt(line, member)) is not RFC 3339 or epoch time")
            }
        case .number:
            guard let value = JSONAccess.number(line, member) else {
                throw Rejection(.badTimestamp, "\(field.name) \(JSONAccess.quotedExcerpt(line, member)) is not a usable number")
            }
            switch EventTime.fromEpochNumber(value) {
            case .success(let millis): return millis
            case .failure:
                throw Rejection(.badTimestamp, "\(field.name) \(JSONAccess.quotedExcerpt(line, member)) is outside epoch time from 1970 to 9999")
            }
        default:
            throw Rejection(.wrongType, "\"\(field.name)\" is \(JSONAccess.article(member.kind)), not a string or number")
        }
    }

    /// A stable id from the content that a re-send repeats: every member but
    /// the ones a sender or receiver stamps anew (receivedAt, sentAt).
    private mutating func deriveMessageId() {
        scratch.removeAll(keepingCapacity: true)
        let base = line.baseAddress!
        for (index, member) in scanner.members.enumerated() {
            if index == slot(index: .receivedAt) || index == slot(index: .sentAt) || index == slot(index: .messageId) {
                continue
            }
            scratch.append(contentsOf: UnsafeRawBufferPointer(start: base + member.keyStart - 1, count: member.valueEnd - member.keyStart + 1))
            scratch.append(0x1F)
        }
        let hash = scratch.withUnsafeBytes { Hash128($0) }
        derivedId.append(contentsOf: "rtml-".utf8)
        derivedId.append(contentsOf: hash.hex.utf8)
    }

    /// Writes the canonical line (with its newline) for the event just normalised.
    public mutating func writeCanonical(to writer: OutputWriter) throws {
        if canonicalAsIs {
            try writer.write(JSONAccess.trimmed(line))
            try writer.writeByte(0x0A)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(0x7B)
        var first = true
        func separator() {
            if !first { scratch.append(0x2C) }
            first = false
        }
        let base = line.baseAddress!
        var wroteTimestamp = false
        var wroteReceivedAt = false
        var wroteMessageId = false
        for (index, member) in scanner.members.enumerated() {
            separator()
            if index == slot(index: .timestamp) {
                appendTime("timestamp", eventTime)
                wroteTimestamp = true
            } else if index == slot(index: .receivedAt) {
                appendTime("receivedAt", receivedAt)
                wroteReceivedAt = true
            } else if index == slot(index: .messageId) && !derivedId.isEmpty {
                appendMessageId()
                wroteMessageId = true
            } else {
                scratch.append(contentsOf: UnsafeRawBufferPointer(start: base + member.keyStart - 1, count: member.valueEnd - member.keyStart + 1))
            }
        }
        if !wroteMessageId && !derivedId.isEmpty {
            separator()
            appendMessageId()
        }
        if !wroteTimestamp {
            separator()
            appendTime("timestamp", eventTime)
        }
        if !wroteReceivedAt {
            separator()
            appendTime("receivedAt", receivedAt)
        }
        scratch.append(contentsOf: "}\n".utf8)
        try writer.write(scratch)
    }

    private mutating func appendMessageId() {
        scratch.append(contentsOf: #""messageId":""#.utf8)
        scratch.append(contentsOf: derivedId)
        scratch.append(0x22)
    }

    private mutating func appendTime(_ key: StaticString, _ millis: Int64) {
        scratch.append(0x22)
        scratch.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        scratch.append(contentsOf: #"":""#.utf8)
        let start = scratch.count
        scratch.append(contentsOf: repeatElement(0, count: EventTime.canonicalLength))
        scratch.withUnsafeMutableBytes { EventTime.formatRFC3339(millis, into: $0.baseAddress! + start) }
        scratch.append(0x22)
    }

    // MARK: Reading the line just normalised (featurize)

    /// True when the line just normalised was already canonical: what
    /// `rtml ingest` writes, so featurize can tell ingested input from raw.
    public var wasCanonical: Bool { canonicalAsIs }

    /// A top-level string field of the line just normalised, decoded.
    func string(_ field: EnvelopeField) -> String? {
        guard let member = slot(field), member.kind == .string else { return nil }
        return member.stringHasEscapes
            ? JSONAccess.decodedString(line, member)
            : String(decoding: JSONAccess.stringContent(line, member), as: UTF8.self)
    }

    /// The entity of the line just normalised: userId, else anonymousId.
    var entity: String? {
        if let user = string(.userId), !user.isEmpty { return user }
        return string(.anonymousId)
    }

    /// The partition (`UserPartition`) of the line just normalised: its
    /// entity's, hashed from the bytes without building a String.
    func entityPartition(count: Int) -> Int {
        var member = slot(.userId)
        if member == nil || member!.kind != .string || member!.valueEnd - member!.valueStart <= 2 {
            member = slot(.anonymousId)
        }
        guard let member, member.kind == .string else { return UserPartition.of(key: line, count: count) }
        if member.stringHasEscapes { return UserPartition.of(key: JSONAccess.decodedString(line, member), count: count) }
        return UserPartition.of(key: JSONAccess.stringContent(line, member), count: count)
    }

    /// The `properties` members of the line just normalised, into `list`.
    func properties(into list: inout [JSONMember]) {
        guard let member = slot(.properties), member.kind == .object else {
            list.removeAll(keepingCapacity: true)
            return
        }
        JSONScanner.members(ofObjectIn: line, from: member.valueStart, to: member.valueEnd, into: &list)
    }

    /// The bytes of the line just normalised (valid until the next line).
    var currentLine: UnsafeRawBufferPointer { line }

    public static func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
