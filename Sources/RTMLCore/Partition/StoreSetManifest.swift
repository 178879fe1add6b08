import Foundation

/// `manifest.json` of a store set: how many shards there are, which hash
/// assigns users to them, and which store each shard file must be.
///
/// ```json
/// {"format":"rtml-store-set","format_version":1,"set_id":"…","partitions":4,
///  "hash":{"name":"rtml-hash128-low64","version":1,"key":"userId, else anonymousId","seed":0},
///  "global_ids":{"version":1,"users":"local_seq_id * partitions + partition","items":"rank of content_id, bytewise, over all shards"},
///  "shards":[{"partition":0,"file":"part-0000.db","store_id":"…"}, …]}
/// ```
///
/// The shard files are named by their partition (`part-0003.db` is
/// partition 3), so a file in the wrong place is caught by name, by its
/// store's `meta.partition` and by its `store_id`. A `store_id` of null is a
/// shard no featurize has created yet.
public struct StoreSetManifest: Sendable, Equatable {
    public static let fileName = "manifest.json"
    public static let format = "rtml-store-set"
    public static let formatVersion = 1
    /// The partition hash (docs/scale-out.md); a new rule would get a new name or version.
    public static let hashName = "rtml-hash128-low64"
    public static let hashVersion = 1
    /// How global sequence ids are made from the shards' (GlobalSequenceIds).
    public static let globalIdsVersion = 1

    public var setId: String
    public var partitions: Int
    /// Per partition, the `store_id` of its shard, nil until created.
    public var storeIds: [String?]

    public init(partitions: Int, setId: String = UUID().uuidString.lowercased()) {
        self.setId = setId
        self.partitions = partitions
        storeIds = [String?](repeating: nil, count: partitions)
    }

    /// `part-0003.db`: the shard file of a partition (at least four digits, as `rtml partition` names its parts).
    public static func shardFileName(_ partition: Int) -> String {
        "part-" + String(format: "%04d", partition) + ".db"
    }

    /// The partition a shard file name stands for, or nil when the name is not
    /// exactly `shardFileName(i)` for some i (`part-3.db` is not shard 3).
    public static func partition(ofFileName name: String) -> Int? {
        guard name.hasPrefix("part-"), name.hasSuffix(".db") else { return nil }
        let digits = name.dropFirst(5).dropLast(3)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let i = Int(digits), i >= 0,
              shardFileName(i) == name else { return nil }
        return i
    }

    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)), ("format_version", .int(Self.formatVersion)),
            ("set_id", .string(setId)), ("partitions", .int(partitions)),
            ("hash", .object([
                ("name", .string(Self.hashName)), ("version", .int(Self.hashVersion)),
                ("key", .string("userId, else anonymousId")), ("seed", .int(0)),
                ("rule", .string("low64(Hash128(UTF-8 key)) mod partitions")),
            ])),
            ("global_ids", .object([
                ("version", .int(Self.globalIdsVersion)),
                ("users", .string("local_seq_id * partitions + partition")),
                ("items", .string("rank of content_id, bytewise, over all shards")),
            ])),
            ("shards", .array(storeIds.enumerated().map { i, id in
                .object([("partition", .int(i)), ("file", .string(Self.shardFileName(i))),
                         ("store_id", id.map(JSONValue.string) ?? .null)])
            })),
        ])
    }

    /// Reads and checks a manifest; every error names the file and the reason.
    public static func read(directory: String) throws -> StoreSetManifest {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw RTMLError("\(directory): no such store set (not a directory)")
            }
            throw RTMLError("\(path): missing or unreadable; \(directory) is not a store set (rtml store-set init \(directory) --partitions N)")
        }
        let doc = try JSONValue.parse(Array(data), source: path)
        func fail(_ why: String) -> RTMLError { RTMLError("\(path): \(why)") }
        guard doc["format"]?.stringValue == format else { throw fail("not an rtml store-set manifest (format is not \"\(format)\")") }
        guard let version = doc["format_version"]?.intValue else { throw fail("no format_version") }
        guard version <= formatVersion else {
            throw fail("format version \(version) is newer than this rtml \(RTMLVersion.string) supports (\(formatVersion)); use a newer rtml")
        }
        guard let hash = doc["hash"], hash["name"]?.stringValue == hashName, hash["version"]?.intValue == hashVersion else {
            throw fail("the set was partitioned with another hash than \(hashName) version \(hashVersion)")
        }
        if let ids = doc["global_ids"]?["version"]?.intValue, ids > globalIdsVersion {
            throw fail("global id scheme version \(ids) is newer than this rtml supports (\(globalIdsVersion))")
        }
        guard let n = doc["partitions"]?.intValue, n >= 1 else { throw fail("partitions must be a whole number >= 1") }
        guard let shards = doc["shards"]?.arrayItems, shards.count == n else {
            throw fail("lists \(doc["shards"]?.arrayItems?.count ?? 0) shards for \(n) partitions")
        }
        var manifest = StoreSetManifest(partitions: n, setId: doc["set_id"]?.stringValue ?? "")
        for (i, shard) in shards.enumerated() {
            guard shard["partition"]?.intValue == i, shard["file"]?.stringValue == shardFileName(i) else {
                throw fail("shard \(i) must be {\"partition\":\(i),\"file\":\"\(shardFileName(i))\"}")
            }
            switch shard["store_id"] {
            case .string(let id)?: manifest.storeIds[i] = id
            case .null?, nil: manifest.storeIds[i] = nil
            default: throw fail("shard \(i): store_id must be a string or null")
            }
        }
        return manifest
    }

    /// Writes the manifest atomically: a temporary file, fsync, rename over
    /// the old one, fsync of the directory (a reader sees the old or the new).
    public func write(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        try AtomicFile.replace(path, with: Array((json.rendered(pretty: true) + "\n").utf8))
    }

    /// Runs `body` holding an exclusive lock on the set's directory, so that
    /// N featurize processes starting at once each add their shard to the
    /// manifest without losing another's (flock on the directory itself:
    /// no lock file left behind; on NFS Linux maps it to a POSIX lock).
    public static func withLock<T>(directory: String, _ body: () throws -> T) throws -> T {
        let fd = open(directory, O_RDONLY)
        guard fd >= 0 else { throw RTMLError("\(directory): cannot open the store set directory (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw RTMLError("\(directory): cannot lock (\(String(cString: strerror(errno))))") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
