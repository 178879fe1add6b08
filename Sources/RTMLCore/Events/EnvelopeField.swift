import Foundation

/// The top-level fields of an event envelope that ingest interprets.
/// Every other field passes through untouched.
enum EnvelopeField: Int, CaseIterable {
    case messageId, type, event, userId, anonymousId, timestamp, receivedAt, sentAt, originalTimestamp, properties

    var name: String {
        switch self {
        case .messageId: "messageId"
        case .type: "type"
        case .event: "event"
        case .userId: "userId"
        case .anonymousId: "anonymousId"
        case .timestamp: "timestamp"
        case .receivedAt: "receivedAt"
        case .sentAt: "sentAt"
        case .originalTimestamp: "originalTimestamp"
        case .properties: "properties"
        }
    }

    /// Recognises a key from its raw bytes (no escapes) without building a String.
    @inline(__always)
    static func match(_ key: UnsafeRawBufferPointer) -> EnvelopeField? {
        @inline(__always) func equals(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == key.count && memcmp(key.baseAddress!, literal.utf8Start, key.count) == 0
        }
        switch key.count {
        case 4: return equals("type") ? .type : nil
        case 5: return equals("event") ? .event : nil
        case 6: return equals("userId") ? .userId : equals("sentAt") ? .sentAt : nil
        case 9: return equals("messageId") ? .messageId : equals("timestamp") ? .timestamp : nil
        case 10: return equals("receivedAt") ? .receivedAt : equals("properties") ? .properties : nil
        case 11: return equals("anonymousId") ? .anonymousId : nil
        case 17: return equals("originalTimestamp") ? .originalTimestamp : nil
        default: return nil
        }
    }
}

/// The events the built-in features understand; others pass through and are counted.
public enum KnownEvent: String, CaseIterable, Sendable {
    case appOpen = "app.open"
    case contentStart = "content.start"
    case contentExit = "content.exit"
    case contentComplete = "content.complete"
    case search = "search"
    case biometric = "biometric"

    /// Position in `allCases`, for counters kept in arrays.
    public var index: Int {
        switch self {
        case .appOpen: 0
        case .contentStart: 1
        case .contentExit: 2
        case .contentComplete: 3
        case .search: 4
        case .biometric: 5
        }
    }

    @inline(__always)
    static func match(_ name: UnsafeRawBufferPointer) -> KnownEvent? {
        @inline(__always) func equals(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == name.count && memcmp(name.baseAddress!, literal.utf8Start, name.count) == 0
        }
        switch name.count {
        case 6: return equals("search") ? .search : nil
        case 8: return equals("app.open") ? .appOpen : nil
        case 9: return equals("biometric") ? .biometric : nil
        case 12: return equals("content.exit") ? .contentExit : nil
        case 13: return equals("content.start") ? .contentStart : nil
        case 16: return equals("content.complete") ? .contentComplete : nil
        default: return nil
        }
    }
}
