/// One sequence-id space over a store set, derived from the shards alone,
/// so that no process has to assign ids centrally (docs/scale-out.md).
///
/// - **Users** are disjoint across shards (the partition hash puts each
///   user in exactly one), and each shard numbers its users 0, 1, 2, … in
///   its `sequence_ids`. The global id of a shard-local id is
///   `local * N + partition`: distinct for distinct (shard, local) pairs,
///   never changing once the local id is assigned, and computable by a
///   reader of one shard without looking at the others (serving routes a
///   user to its shard and needs nothing else).
/// - **Items** appear in many shards, each with its own local id. The global
///   item index is the rank of the content id in bytewise (UTF-8) order over
///   the union of every shard's `item_ids`. Only training uses it: a model
///   stores each item's content id, and serving looks items up by that.
/// - **The set's fingerprint** hashes N and the shards' own
///   `sequence_map_fingerprint`s in partition order:
///   `Hash128("rtml-store-set-ids\0" + "1" + "\0" + N + "\0" + fp0 + "\0" + fp1 …).hex`.
///   The global ids are a function of exactly that input (N and every
///   shard's mappings), so equal fingerprints mean equal global ids, and a
///   shard that assigned one more id, or a set of another N, changes it.
///   It is never equal to a single store's fingerprint (that is a sum of
///   entry hashes), so a model trained on one shard is refused by the set
///   and the other way round.
public enum GlobalSequenceIds {
    public static let emptyFingerprint = String(repeating: "0", count: 32)

    @inline(__always)
    public static func globalUser(local: Int, partition: Int, partitions: Int) -> Int {
        local * partitions + partition
    }

    public static func setFingerprint(partitions: Int, shardFingerprints: [String]) -> String {
        let text = (["rtml-store-set-ids", String(StoreSetManifest.globalIdsVersion), String(partitions)] + shardFingerprints)
            .joined(separator: "\u{0}")
        return Hash128(text).hex
    }

    /// Content ids sorted bytewise: index = global item id.
    public static func itemOrder(_ contentIds: Set<String>) -> [String] {
        contentIds.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
