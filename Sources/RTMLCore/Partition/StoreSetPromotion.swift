import GRDB

extension Promotion {
    /// promote's checks for a store set: the set validates (manifest, every
    /// shard present, each shard's partition and store id), every shard is
    /// a store of a known schema with features, and each model carries the
    /// set's fingerprint and finds its feature columns in every shard.
    public static func checkSet(path: String, models: [(name: String, bundle: ModelBundle)]) -> [Check] {
        var checks: [Check] = []
        let set: StoreSet
        do {
            set = try StoreSet(path: path)
            checks.append(Check(name: "store set", passed: true,
                                detail: "\(path): \(set.partitions) shards, manifest and every shard's partition and store id agree"))
        } catch {
            checks.append(Check(name: "store set", passed: false, detail: (error as? RTMLError)?.message ?? "\(path): \(error)"))
            return checks
        }
        defer { set.close() }
        do {
            var users = 0, rows = 0
            var empty: [String] = []
            for shard in set.shards {
                let s = try summary(shard)
                users += s.users
                rows += s.historyRows
                if s.users == 0 { empty.append(shard.path) }
            }
            checks.append(Check(name: "not empty", passed: empty.isEmpty,
                                detail: empty.isEmpty ? "\(users) users with features, \(rows) history rows over \(set.partitions) shards"
                                    : "\(empty.joined(separator: ", ")): no features yet (every shard must have users; run featurize into it first)"))
            let setPrint = try set.fingerprint()
            for (name, bundle) in models {
                if let modelPrint = bundle.sequenceMapFingerprint {
                    let match = modelPrint == setPrint
                    checks.append(Check(
                        name: "\(name) sequence ids", passed: match,
                        detail: match ? "fingerprint \(modelPrint) matches the set's (every shard's ids)"
                            : "model \(name) has fingerprint \(modelPrint), store set \(path) has \(setPrint): users would get other users' recommendations; retrain on this set"))
                } else if bundle.kind == "als" {
                    checks.append(Check(name: "\(name) sequence ids", passed: false, detail: "model \(name) is an als model without a sequence_map_fingerprint"))
                }
                let needed = bundle.signature.inputs.compactMap(\.name).filter { FeatureSchema.index(of: $0) != nil }
                guard !needed.isEmpty else { continue }
                var missing: [String] = []
                for shard in set.shards {
                    let columns = Set(try shard.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('features')") })
                    let lacking = needed.filter { !columns.contains($0) }
                    if !lacking.isEmpty { missing.append("\(shard.path) lacks \(lacking.joined(separator: ", "))") }
                }
                checks.append(Check(
                    name: "\(name) features", passed: missing.isEmpty,
                    detail: missing.isEmpty ? "every shard has all \(needed.count) feature columns the model reads"
                        : "model \(name) needs features: \(missing.joined(separator: "; "))"))
            }
        } catch {
            checks.append(Check(name: "readable", passed: false, detail: (error as? RTMLError)?.message ?? "\(path): \(error)"))
        }
        return checks
    }
}
