/// An accepted event as the `events` table keeps it: what training needs for
/// labels and for ALS interactions, not the whole envelope.
public struct StoredEvent: Sendable, Equatable {
    public var userId: String
    public var event: String
    /// Event time, epoch ms.
    public var eventTs: Int64
    /// Arrival time (`receivedAt`), epoch ms.
    public var receivedAt: Int64
    public var messageId: String
    public var contentId: String?
    public var category: String?
    public var durationSec: Double?
    public var positionSec: Double?
    public var rating: Double?

    public init(
        userId: String, event: String, eventTs: Int64, receivedAt: Int64, messageId: String,
        contentId: String? = nil, category: String? = nil,
        durationSec: Double? = nil, positionSec: Double? = nil, rating: Double? = nil
    ) {
        self.userId = userId
        self.event = event
        self.eventTs = eventTs
        self.receivedAt = receivedAt
        self.messageId = messageId
        self.contentId = contentId
        self.category = category
        self.durationSec = durationSec
        self.positionSec = positionSec
        self.rating = rating
    }

    /// The stored part of a decoded event.
    public init(_ e: FeatureEvent) {
        self.init(
            userId: e.userId, event: e.event, eventTs: e.eventTime, receivedAt: e.receivedAt,
            messageId: e.messageId, contentId: e.contentId, category: e.category?.name,
            durationSec: e.durationSec, positionSec: e.positionSec, rating: e.rating)
    }
}

/// One row of `predictions`, the pull sink of serve-once.
public struct StoredPrediction: Sendable, Equatable {
    public var userId: String
    public var model: String
    public var version: Int64
    public var jobId: String?
    /// The ranked items as JSON text (`[{"contentId":"c9","score":0.87}]`).
    public var itemsJSON: String
    public var coldStart: Bool
    /// Event time of the triggering event, epoch ms.
    public var eventTime: Int64?
    /// When the prediction was made, epoch ms; the newest per user and model wins.
    public var predictedAt: Int64

    public init(
        userId: String, model: String, version: Int64, jobId: String?, itemsJSON: String,
        coldStart: Bool, eventTime: Int64?, predictedAt: Int64
    ) {
        self.userId = userId
        self.model = model
        self.version = version
        self.jobId = jobId
        self.itemsJSON = itemsJSON
        self.coldStart = coldStart
        self.eventTime = eventTime
        self.predictedAt = predictedAt
    }
}
