import Foundation

/// A store set: a directory of N shard stores `part-0000.db` … and a
/// `manifest.json`, one shard per user partition (docs/scale-out.md).
///
/// Opening a set validates it completely, because every reader routes users
/// by the hash and a shard in the wrong place would silently serve nobody:
/// the manifest is readable, every shard file is present and opens as an
/// rtml store, its `meta.partition` is `I/N` for its file name, its
/// `store_id` is the one the manifest records, and no stray `part-*.db`
/// lies beside them.
public final class StoreSet {
    public let path: String
    public let manifest: StoreSetManifest
    /// The shards, opened read-only, in partition order.
    public let shards: [FeatureStore]

    public var partitions: Int { manifest.partitions }

    /// Whether `path` is a store set's directory (it holds a manifest).
    public static func isSet(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(StoreSetManifest.fileName))
    }

    public static func shardPath(_ directory: String, _ partition: Int) -> String {
        (directory as NSString).appendingPathComponent(StoreSetManifest.shardFileName(partition))
    }

    public init(path: String, busyTimeout: Double = 5) throws {
        self.path = path
        let manifest = try StoreSetManifest.read(directory: path)
        self.manifest = manifest
        let n = manifest.partitions
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in listed.sorted() {
            if let i = StoreSetManifest.partition(ofFileName: name), i >= n {
                throw RTMLError("\((path as NSString).appendingPathComponent(name)): a shard file beyond the \(n) partitions \(StoreSetManifest.fileName) names; remove it or rebuild the set")
            }
        }
        var opened: [FeatureStore] = []
        defer { if opened.count < n { opened.forEach { try? $0.close() } } }
        for i in 0..<n {
            let file = Self.shardPath(path, i)
            guard FileManager.default.fileExists(atPath: file) else {
                throw RTMLError("\(file): missing; shard \(i) of the \(n) that \((path as NSString).appendingPathComponent(StoreSetManifest.fileName)) lists")
            }
            let store = try FeatureStore.openReadOnly(path: file, busyTimeout: busyTimeout)
            opened.append(store)
            let expected = "\(i)/\(n)"
            let saved = try store.meta("partition")
            guard saved == expected else {
                throw RTMLError("\(file): the store's partition is \(saved ?? "not recorded"), but as shard \(i) of a \(n)-way set it must be \(expected) (featurize it with --partition \(expected))")
            }
            guard let recorded = manifest.storeIds[i] else {
                throw RTMLError("\(file): not registered in \(StoreSetManifest.fileName) (store_id is null); run rtml store-set init \(path) --partitions \(n) to register existing shards")
            }
            guard recorded == store.storeId else {
                throw RTMLError("\(file): store id \(store.storeId), but \(StoreSetManifest.fileName) records \(recorded) for shard \(i): the file is from another set or was replaced (rtml store-set init \(path) --partitions \(n) --reregister accepts it)")
            }
        }
        shards = opened
    }

    /// The shard a user's data lives in: the same hash as `--partition`.
    @inline(__always)
    public func shard(of userId: String) -> Int {
        UserPartition.of(key: userId, count: manifest.partitions)
    }

    /// The set's `sequence_map_fingerprint` (GlobalSequenceIds), from the shards' current ones.
    public func fingerprint() throws -> String {
        GlobalSequenceIds.setFingerprint(partitions: partitions, shardFingerprints: try shards.map { try $0.meta("sequence_map_fingerprint") ?? GlobalSequenceIds.emptyFingerprint })
    }

    public func close() {
        for s in shards { try? s.close() }
    }
}
