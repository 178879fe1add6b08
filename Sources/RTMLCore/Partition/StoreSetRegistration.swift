import Foundation

/// How a store set comes into being without a coordinator: every
/// `featurize --store DIR/part-000I.db --partition I/N` adds its own shard
/// to `DIR/manifest.json` (creating the manifest when it is the first),
/// under a lock on the directory; `rtml store-set init` does the same for
/// shards made another way.
public enum StoreSetRegistration {
    /// Called before featurize opens `storePath`: the set directory when the
    /// store is a shard of a set, nil for a plain store. A shard's file name
    /// must be its partition's, and the set's size must be N; a `part-*.db`
    /// in a directory that already has a manifest must be featurized with
    /// `--partition`.
    public static func shardDirectory(storePath: String, partition: UserPartition?) throws -> String? {
        let directory = (storePath as NSString).deletingLastPathComponent.isEmpty ? "." : (storePath as NSString).deletingLastPathComponent
        let name = (storePath as NSString).lastPathComponent
        let manifestPath = (directory as NSString).appendingPathComponent(StoreSetManifest.fileName)
        let hasManifest = FileManager.default.fileExists(atPath: manifestPath)
        guard let fileIndex = StoreSetManifest.partition(ofFileName: name) else {
            return nil  // not named as a shard: a plain store, wherever it is
        }
        guard let partition else {
            if hasManifest {
                throw RTMLError("\(storePath): shard \(fileIndex) of the store set \(directory); featurize it with --partition \(fileIndex)/N (N as in \(manifestPath))")
            }
            return nil  // a part file outside any set, as before sets existed
        }
        guard partition.index == fileIndex else {
            throw RTMLError("\(storePath): the file of shard \(fileIndex), but --partition is \(partition); write partition \(partition.index) to \(StoreSetManifest.shardFileName(partition.index))")
        }
        if hasManifest {
            let manifest = try StoreSetManifest.read(directory: directory)
            guard manifest.partitions == partition.count else {
                throw RTMLError("\(manifestPath): the set has \(manifest.partitions) partitions; --partition \(partition) belongs to a \(partition.count)-way split")
            }
        }
        return directory
    }

    /// Records `storeId` as shard `partition.index` in the manifest, creating
    /// the manifest when missing. A shard featurize has just created
    /// replaces whatever id was recorded (the shard was rebuilt, and a note
    /// says so); an existing one must be the recorded store.
    @discardableResult
    public static func register(directory: String, partition: UserPartition, storeId: String, created: Bool) throws -> String? {
        try StoreSetManifest.withLock(directory: directory) {
            var manifest: StoreSetManifest
            if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(StoreSetManifest.fileName)) {
                manifest = try StoreSetManifest.read(directory: directory)
                guard manifest.partitions == partition.count else {
                    throw RTMLError("\(directory)/\(StoreSetManifest.fileName): the set has \(manifest.partitions) partitions; --partition \(partition) belongs to a \(partition.count)-way split")
                }
            } else {
                manifest = StoreSetManifest(partitions: partition.count)
            }
            let file = StoreSet.shardPath(directory, partition.index)
            var note: String?
            switch manifest.storeIds[partition.index] {
            case nil: break
            case storeId?: return nil
            case let recorded?:
                guard created else {
                    throw RTMLError("\(file): store id \(storeId), but \(StoreSetManifest.fileName) records \(recorded) for shard \(partition.index): the file is from another set (rtml store-set init \(directory) --partitions \(partition.count) --reregister accepts it)")
                }
                note = "\(file): a new shard \(partition.index) (store id \(storeId)) replaces \(recorded) in \(StoreSetManifest.fileName); models trained on the old set no longer match it"
            }
            manifest.storeIds[partition.index] = storeId
            try manifest.write(directory: directory)
            return note
        }
    }

    /// `rtml store-set init`: a manifest for N partitions, registering the
    /// shard files already there (each must record its partition `I/N`).
    /// With `reregister`, shards whose store id differs from the manifest's
    /// are accepted and recorded; otherwise that is an error.
    public static func initialize(directory: String, partitions: Int, reregister: Bool) throws -> (manifest: StoreSetManifest, registered: [Int]) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try StoreSetManifest.withLock(directory: directory) {
            var manifest = StoreSetManifest(partitions: partitions)
            if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(StoreSetManifest.fileName)) {
                manifest = try StoreSetManifest.read(directory: directory)
                guard manifest.partitions == partitions else {
                    throw RTMLError("\(directory)/\(StoreSetManifest.fileName): the set already has \(manifest.partitions) partitions, not \(partitions)")
                }
            }
            var registered: [Int] = []
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() {
                guard let i = StoreSetManifest.partition(ofFileName: name) else { continue }
                let file = (directory as NSString).appendingPathComponent(name)
                guard i < partitions else { throw RTMLError("\(file): a shard file beyond the \(partitions) partitions") }
                let store = try FeatureStore.openReadOnly(path: file)
                defer { try? store.close() }
                let saved = try store.meta("partition")
                guard saved == "\(i)/\(partitions)" else {
                    throw RTMLError("\(file): the store's partition is \(saved ?? "not recorded"), expected \(i)/\(partitions) (featurize it with --partition \(i)/\(partitions))")
                }
                if let recorded = manifest.storeIds[i], recorded != store.storeId, !reregister {
                    throw RTMLError("\(file): store id \(store.storeId), but \(StoreSetManifest.fileName) records \(recorded); --reregister accepts the file as shard \(i)")
                }
                manifest.storeIds[i] = store.storeId
                registered.append(i)
            }
            try manifest.write(directory: directory)
            return (manifest, registered)
        }
    }
}
