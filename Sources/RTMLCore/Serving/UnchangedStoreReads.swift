/// Sequence ids and feature rows already read from the store, used again
/// for as long as the store has not changed.
///
/// Every micro-batch is served in one read transaction. When SQLite's
/// `PRAGMA data_version` of that snapshot equals the previous batch's, no
/// other connection has committed in between, so a row read before is
/// exactly the row this snapshot would return: reading it again would only
/// cost time (two B-tree searches and a row decode, most of a reranked
/// job's time). Any commit (featurize's next batch, the pull sink's
/// predictions) changes the version and forgets everything. Memory is
/// bounded: at `capacity` users the kept rows are dropped and collected anew.
final class UnchangedStoreReads {
    static let capacity = 1 << 16
    private var version: Int64?
    private var sequenceIds: [String: Int?] = [:]
    private var featureRows: [String: FeatureRow?] = [:]

    /// At the start of a batch, with its snapshot's data_version.
    func begin(version: Int64) {
        guard version != self.version else { return }
        forget()
        self.version = version
    }

    /// Forgets everything (a new store, or a changed one).
    func forget() {
        version = nil
        sequenceIds.removeAll(keepingCapacity: true)
        featureRows.removeAll(keepingCapacity: true)
    }

    /// `.some(nil)`: known to have no id; nil: not read yet.
    func sequenceId(_ user: String) -> Int?? {
        sequenceIds[user]
    }

    func remember(sequenceId: Int?, of user: String) {
        if sequenceIds.count >= Self.capacity { sequenceIds.removeAll(keepingCapacity: true) }
        sequenceIds[user] = .some(sequenceId)
    }

    /// `.some(nil)`: known to have no row; nil: not read yet.
    func features(_ user: String) -> FeatureRow?? {
        featureRows[user]
    }

    func remember(features: FeatureRow?, of user: String) {
        if featureRows.count >= Self.capacity { featureRows.removeAll(keepingCapacity: true) }
        featureRows[user] = .some(features)
    }
}
