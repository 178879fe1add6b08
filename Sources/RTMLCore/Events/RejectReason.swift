/// Why a record was refused: a stable code for scripts and `--stats`, and a
/// sentence for people.
public enum RejectReason: String, CaseIterable, Sendable {
    case invalidJSON = "invalid_json"
    case invalidUTF8 = "invalid_utf8"
    case notAnObject = "not_an_object"
    case lineTooLong = "line_too_long"
    case duplicateKey = "duplicate_key"
    case missingEvent = "missing_event"
    case missingUser = "missing_user"
    case missingTimestamp = "missing_timestamp"
    case badTimestamp = "bad_timestamp"
    case wrongType = "wrong_type"
    /// Valid but not what ingest writes (featurize given raw events).
    case notCanonical = "not_canonical"
    /// Behind the watermark (featurize).
    case late = "late"
}

/// A refused record with the reason and a one-line explanation.
public struct Rejection: Error, Sendable {
    public var reason: RejectReason
    public var detail: String

    public init(_ reason: RejectReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
}
