import Foundation

/// What `rtml diff` needs to compare two store sets shard by shard.
///
/// A user lives in the shard the hash gives them, so two sets of the same
/// size hold each user in the same-numbered shard, and comparing shard I
/// with shard I compares every user with themselves. Sets of different
/// sizes would need a re-partitioning join (not built).
public enum StoreSetDiff {
    /// The shard files to compare, after validating both sets.
    public static func shardPairs(_ a: String, _ b: String) throws -> [(a: String, b: String)] {
        switch (StoreSet.isSet(a), StoreSet.isSet(b)) {
        case (true, true): break
        case (true, false):
            throw RTMLError("\(a) is a store set and \(b) is not: compare a set with a set of the same partitions, or one shard (\(a)/part-0000.db …) with a store")
        case (false, true):
            throw RTMLError("\(b) is a store set and \(a) is not: compare a set with a set of the same partitions, or one shard (\(b)/part-0000.db …) with a store")
        case (false, false): return [(a, b)]
        }
        let setA = try StoreSet(path: a)
        setA.close()
        let setB = try StoreSet(path: b)
        setB.close()
        guard setA.partitions == setB.partitions else {
            throw RTMLError("\(a) has \(setA.partitions) shards and \(b) has \(setB.partitions): users are in different shards, so the sets cannot be compared shard by shard")
        }
        return (0..<setA.partitions).map { (StoreSet.shardPath(a, $0), StoreSet.shardPath(b, $0)) }
    }

    /// An NDJSON line (an object) with `"shard":I` first.
    public static func tagged(_ line: String, shard: Int) -> String {
        guard line.hasPrefix("{") else { return line }
        let rest = line.dropFirst()
        return "{\"shard\":\(shard)" + (rest.hasPrefix("}") ? "" : ",") + rest
    }
}
