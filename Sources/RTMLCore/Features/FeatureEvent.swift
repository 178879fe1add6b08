/// One canonical event as featurize uses it: the envelope fields and the
/// properties the built-in features read, decoded once.
public struct FeatureEvent: Sendable, Equatable {
    /// The entity features are keyed by: `userId`, else `anonymousId`.
    public var userId: String
    public var event: String
    public var kind: KnownEvent?
    /// Event time (`timestamp`), epoch milliseconds.
    public var eventTime: Int64
    /// Arrival time (`receivedAt`), epoch milliseconds.
    public var receivedAt: Int64
    public var messageId: String
    public var contentId: String?
    public var category: ContentCategory?
    public var durationSec: Double?
    public var positionSec: Double?
    public var rating: Double?
    public var query: String?
    public var steps: Double?
    public var heartRate: Double?

    public init(userId: String, event: String, eventTime: Int64, receivedAt: Int64, messageId: String) {
        self.userId = userId
        self.event = event
        self.kind = KnownEvent(rawValue: event)
        self.eventTime = eventTime
        self.receivedAt = receivedAt
        self.messageId = messageId
    }

    /// A known event: its name is the kind's.
    init(userId: String, kind: KnownEvent, eventTime: Int64, receivedAt: Int64, messageId: String) {
        self.userId = userId
        self.event = kind.rawValue
        self.kind = kind
        self.eventTime = eventTime
        self.receivedAt = receivedAt
        self.messageId = messageId
    }
}
