import GRDB

extension Interactions {
    /// Interactions over every shard of a set, in the set's global id space
    /// (GlobalSequenceIds): user `local * N + partition`, item the content
    /// id's bytewise rank over all shards.
    ///
    /// The strengths, the time split and the held-out truth are computed
    /// exactly as for one store (`assemble`), over the union of the shards'
    /// events: the same events give the same cut, the same training pairs
    /// and the same popularity counts per content id as a single store
    /// holding all users — only the numbering differs.
    ///
    /// ALS is fitted over the users that exist (`users` maps its row index to
    /// the global id), not over the gaps between global ids: a shard with
    /// fewer users than another leaves ids unassigned, and a fitted row there
    /// would later greet that shard's next new user with random factors
    /// instead of the cold-start ranking. `StoreSetUsers.expand` lays the
    /// rows out by global id afterwards, with zero rows in the gaps.
    public static func load(fromSet set: StoreSet, split: TimeSplit, bounceThresholdMillis: Int64 = 60_000) throws -> (interactions: Interactions, users: StoreSetUsers) {
        let n = set.partitions
        var content = Set<String>()
        var localCounts: [Int] = []
        for shard in set.shards {
            try shard.read { db in
                content.formUnion(try String.fetchAll(db, sql: "SELECT content_id FROM item_ids"))
                localCounts.append((try Int.fetchOne(db, sql: "SELECT max(seq_id) + 1 FROM sequence_ids")) ?? 0)
            }
        }
        let users = StoreSetUsers(partitions: n, localCounts: localCounts)
        let order = GlobalSequenceIds.itemOrder(content)
        var itemIndex: [String: Int32] = [:]
        itemIndex.reserveCapacity(order.count)
        for (k, id) in order.enumerated() { itemIndex[id] = Int32(k) }

        var out = Interactions()
        out.userCount = users.globalIds.count
        out.itemCount = order.count
        out.contentIds = order.map { Optional($0) }
        out.categories = [String?](repeating: nil, count: order.count)
        var observations: [Observation] = []
        for (i, shard) in set.shards.enumerated() {
            try shard.read { db in
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT s.seq_id, e.content_id, e.event, e.event_ts, e.position_sec, e.category
                        FROM events e JOIN sequence_ids s ON s.user_id = e.user_id
                        JOIN item_ids i ON i.content_id = e.content_id
                        WHERE e.event IN ('content.start', 'content.complete', 'content.exit')
                        """)
                while let row = try rows.next() {
                    let contentId: String = row[1]
                    guard let item = itemIndex[contentId] else { continue }
                    let user = Int32(users.row(local: row[0], partition: i))
                    let event: String = row[2]
                    if out.categories[Int(item)] == nil { out.categories[Int(item)] = row[5] }
                    let strength: Float
                    switch event {
                    case "content.start": strength = startWeight
                    case "content.complete": strength = completeWeight
                    default:
                        // As for one store: only a bounce says something.
                        let position: Double? = row[4]
                        guard let p = position, p * 1000 < Double(bounceThresholdMillis) else { continue }
                        strength = bouncePenalty
                    }
                    observations.append(Observation(user: user, item: item, strength: strength, ts: row[3], isStart: event == "content.start"))
                }
            }
        }
        out.assemble(observations, split: split)
        return (out, users)
    }
}

/// The users of a set at training time: every assigned global id, in
/// increasing order (its position is the user's row while fitting).
public struct StoreSetUsers: Sendable {
    public let partitions: Int
    /// Ids each shard had assigned: local ids 0..<localCounts[i].
    public let localCounts: [Int]
    /// Row → global id, increasing.
    public let globalIds: [Int]
    private let rowOfGlobal: [Int32]

    public init(partitions: Int, localCounts: [Int]) {
        self.partitions = partitions
        self.localCounts = localCounts
        let size = localCounts.enumerated().map { i, c in c == 0 ? 0 : GlobalSequenceIds.globalUser(local: c - 1, partition: i, partitions: partitions) + 1 }.max() ?? 0
        var rows = [Int32](repeating: -1, count: size)
        var ids: [Int] = []
        for g in 0..<size where g / partitions < localCounts[g % partitions] {
            rows[g] = Int32(ids.count)
            ids.append(g)
        }
        globalIds = ids
        rowOfGlobal = rows
    }

    /// How many global ids the model must cover (the largest assigned + 1).
    public var globalCount: Int { rowOfGlobal.count }

    func row(local: Int, partition: Int) -> Int {
        Int(rowOfGlobal[GlobalSequenceIds.globalUser(local: local, partition: partition, partitions: partitions)])
    }

    /// Fitted user rows (one per assigned id, `factors` wide) laid out by
    /// global id; unassigned ids get zero rows, which serving reads as
    /// "never seen": the cold-start ranking.
    public func expand(_ fitted: [Float], factors: Int) -> [Float] {
        var out = [Float](repeating: 0, count: globalCount * factors)
        for (row, g) in globalIds.enumerated() {
            out.replaceSubrange((g * factors)..<((g + 1) * factors), with: fitted[(row * factors)..<((row + 1) * factors)])
        }
        return out
    }
}
