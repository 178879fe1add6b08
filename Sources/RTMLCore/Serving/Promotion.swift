import GRDB

/// The checks `rtml promote` runs on a target store (and its models)
/// before switching `ACTIVE` to it, and the summary it prints of a store.
public enum Promotion {
    public struct Check: Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    /// What a person needs to see about a store before switching to it.
    public struct StoreSummary: Sendable {
        public var path: String
        public var storeId: String
        public var schemaVersion: Int
        public var users: Int
        public var historyRows: Int
        public var lastEventTs: Int64?
        public var fingerprint: String
        public var readIndexes: [String]
    }

    public static func summary(_ store: FeatureStore) throws -> StoreSummary {
        try store.read { db in
            StoreSummary(
                path: store.path, storeId: store.storeId, schemaVersion: store.schemaVersion,
                users: try Int.fetchOne(db, sql: "SELECT count(*) FROM features") ?? 0,
                historyRows: try Int.fetchOne(db, sql: "SELECT coalesce(max(row_id), 0) FROM feature_history") ?? 0,
                lastEventTs: try Int64.fetchOne(db, sql: "SELECT max(event_ts) FROM features"),
                fingerprint: try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'") ?? "none",
                readIndexes: [])
        }
    }

    /// Runs every check; the switch may happen only if all pass.
    /// `models` are loaded bundles with the name a person would recognise.
    public static func check(storePath: String, models: [(name: String, bundle: ModelBundle)]) -> [Check] {
        var checks: [Check] = []
        let store: FeatureStore
        do {
            store = try FeatureStore.openReadOnly(path: storePath)
            checks.append(Check(name: "store", passed: true, detail: "\(storePath): rtml store, schema version \(store.schemaVersion), id \(store.storeId)"))
        } catch {
            checks.append(Check(name: "store", passed: false, detail: (error as? RTMLError)?.message ?? "\(storePath): \(error)"))
            return checks
        }
        do {
            let s = try summary(store)
            let ok = s.users > 0
            checks.append(Check(name: "not empty", passed: ok,
                                detail: ok ? "\(s.users) users with features, \(s.historyRows) history rows" : "\(storePath): has no features yet (run featurize into it first)"))
            let storeColumns = Set(try store.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('features')") })
            for (name, bundle) in models {
                if let modelPrint = bundle.sequenceMapFingerprint {
                    let match = modelPrint == s.fingerprint
                    checks.append(Check(
                        name: "\(name) sequence ids", passed: match,
                        detail: match ? "fingerprint \(modelPrint) matches"
                            : "model \(name) has fingerprint \(modelPrint), store \(storePath) has \(s.fingerprint): users would get other users' recommendations; retrain on this store"))
                } else if bundle.kind == "als" {
                    checks.append(Check(name: "\(name) sequence ids", passed: false, detail: "model \(name) is an als model without a sequence_map_fingerprint"))
                }
                let needed = bundle.signature.inputs.compactMap(\.name).filter { FeatureSchema.index(of: $0) != nil }
                guard !needed.isEmpty else { continue }  // e.g. ALS: indexed by id, reads no feature column
                let missing = needed.filter { !storeColumns.contains($0) }
                checks.append(Check(
                    name: "\(name) features", passed: missing.isEmpty,
                    detail: missing.isEmpty ? "the store has all \(needed.count) feature columns the model reads"
                        : "model \(name) needs features the store lacks: \(missing.joined(separator: ", "))"))
            }
        } catch {
            checks.append(Check(name: "readable", passed: false, detail: (error as? RTMLError)?.message ?? "\(storePath): \(error)"))
        }
        try? store.close()
        return checks
    }
}
