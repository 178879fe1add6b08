/// Reads canonical event lines (what `rtml ingest` writes) into `FeatureEvent`s.
///
/// Validation is ingest's own (`EventNormalizer`), so featurize refuses
/// exactly what ingest would; on top of that a line must already be
/// canonical: given raw, un-ingested events, featurize says so instead of
/// silently normalising them differently from ingest.
public struct FeatureEventParser {
    private var normalizer = EventNormalizer(receivedAtDefault: .timestamp)
    private var properties: [JSONMember] = []
    /// Properties of known events that had the wrong JSON type and were ignored.
    public private(set) var ignoredProperties = 0

    public init() {}

    /// Forgets the count (after lines that were read only to rebuild state).
    public mutating func resetIgnoredProperties() { ignoredProperties = 0 }

    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(Rejection) -> FeatureEvent {
        let accepted = try normalizer.normalize(bytes)
        guard normalizer.wasCanonical else {
            throw Rejection(.notCanonical, "line is not canonical (messageId, and timestamp and receivedAt as RFC 3339 UTC with milliseconds, are required): run it through rtml ingest first")
        }
        guard let kind = accepted.event else {
            return FeatureEvent(
                userId: normalizer.entity ?? "",
                event: normalizer.string(.event) ?? "",
                eventTime: accepted.eventTime,
                receivedAt: accepted.receivedAt,
                messageId: normalizer.string(.messageId) ?? "")
        }
        // A known event's name is its literal: no String to build and no lookup of the kind.
        var event = FeatureEvent(
            userId: normalizer.entity ?? "",
            kind: kind,
            eventTime: accepted.eventTime,
            receivedAt: accepted.receivedAt,
            messageId: normalizer.string(.messageId) ?? "")
        normalizer.properties(into: &properties)
        let line = normalizer.currentLine
        for member in properties {
            let key = JSONAccess.keyBytes(line, member)
            switch PropertyKey.match(key) {
            case .contentId?: event.contentId = text(member, line)
            case .category?: event.category = category(member, line)
            case .query?: event.query = text(member, line)
            case .durationSec?: event.durationSec = number(member, line)
            case .positionSec?: event.positionSec = number(member, line)
            case .rating?: event.rating = number(member, line)
            case .steps?: event.steps = number(member, line)
            case .heartRate?: event.heartRate = number(member, line)
            case nil: break
            }
        }
        return event
    }

    private mutating func text(_ member: JSONMember, _ line: UnsafeRawBufferPointer) -> String? {
        guard member.kind == .string else {
            if member.kind != .null { ignoredProperties += 1 }
            return nil
        }
        return member.stringHasEscapes
            ? JSONAccess.decodedString(line, member)
            : String(decoding: JSONAccess.stringContent(line, member), as: UTF8.self)
    }

    /// The category named by a string property, matched on its bytes (no String made).
    private mutating func category(_ member: JSONMember, _ line: UnsafeRawBufferPointer) -> ContentCategory? {
        guard member.kind == .string, !member.stringHasEscapes else {
            return text(member, line).flatMap(ContentCategory.init(name:))
        }
        let bytes = JSONAccess.stringContent(line, member)
        return ContentCategory(utf8: bytes)
    }

    private mutating func number(_ member: JSONMember, _ line: UnsafeRawBufferPointer) -> Double? {
        guard member.kind == .number, let value = JSONAccess.number(line, member) else {
            if member.kind != .null { ignoredProperties += 1 }
            return nil
        }
        return value
    }
}

/// The `properties` keys the built-in features read.
import Foundation

enum PropertyKey {
    case contentId, category, query, durationSec, positionSec, rating, steps, heartRate

    static func match(_ key: UnsafeRawBufferPointer) -> PropertyKey? {
        func equals(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == key.count && memcmp(key.baseAddress!, literal.utf8Start, key.count) == 0
        }
        switch key.count {
        case 5: return equals("query") ? .query : equals("steps") ? .steps : nil
        case 6: return equals("rating") ? .rating : nil
        case 8: return equals("category") ? .category : nil
        case 9: return equals("contentId") ? .contentId : equals("heartRate") ? .heartRate : nil
        case 11: return equals("durationSec") ? .durationSec : equals("positionSec") ? .positionSec : nil
        default: return nil
        }
    }
}
