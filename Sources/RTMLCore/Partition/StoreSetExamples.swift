import GRDB

extension StoreExamples {
    /// The training set over every shard of a set, row for row the one a
    /// single store holding all the users would give.
    ///
    /// Each shard's examples come out grouped by user in bytewise user-id
    /// order (the single store's order too), and users are disjoint across
    /// shards, so interleaving the shards' user blocks in user-id order
    /// reproduces the single store's table exactly. Censoring uses the last
    /// event of the whole set: a shard's own last event is earlier, and
    /// would label examples the single store leaves out.
    public func build(fromSet set: StoreSet) throws -> (table: ExampleTable, counts: Counts) {
        var lastEvent = Int64.min
        for shard in set.shards {
            if let t = try shard.read({ db in try Int64.fetchOne(db, sql: "SELECT max(event_ts) FROM events") }) {
                lastEvent = max(lastEvent, t)
            }
        }
        let built = try set.shards.map { try build(from: $0, lastEventTime: lastEvent) }
        // (user, shard, first row, end row) per user block.
        var blocks: [(user: String, shard: Int, start: Int, end: Int)] = []
        for (s, part) in built.enumerated() {
            let keys = part.table.keys ?? []
            var start = 0
            while start < keys.count {
                var end = start + 1
                while end < keys.count, keys[end] == keys[start] { end += 1 }
                blocks.append((keys[start], s, start, end))
                start = end
            }
        }
        blocks.sort { $0.user.utf8.lexicographicallyPrecedes($1.user.utf8) }
        var table = ExampleTable(featureNames: inputs.names, classes: label.classes)
        table.times = []
        table.keys = []
        let width = table.featureCount
        for b in blocks {
            let part = built[b.shard].table
            table.values.append(contentsOf: part.values[(b.start * width)..<(b.end * width)])
            table.targets.append(contentsOf: part.targets[b.start..<b.end])
            table.times!.append(contentsOf: part.times![b.start..<b.end])
            table.keys!.append(contentsOf: part.keys![b.start..<b.end])
        }
        var counts = Counts()
        for part in built {
            counts.users += part.counts.users
            counts.anchors += part.counts.anchors
            counts.censored += part.counts.censored
            counts.unlabelled += part.counts.unlabelled
            counts.withoutFeatures += part.counts.withoutFeatures
        }
        counts.examples = table.rowCount
        return (table, counts)
    }
}
