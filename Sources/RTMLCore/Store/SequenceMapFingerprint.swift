/// An order-independent hash of the `sequence_ids` and `item_ids` mappings.
///
/// Each entry `(kind, key, seq_id)` is hashed as the UTF-8 bytes of
/// `kind + "\0" + key + "\0" + decimal(seq_id)` with `Hash128` (seed 0), kind
/// being `user` (sequence_ids) or `item` (item_ids). The fingerprint is the
/// lane-wise sum of the entry hashes, each 64-bit lane modulo 2^64, written
/// as `Hash128.hex` (high lane first, 32 hex digits). Addition commutes, so
/// equal mappings give equal fingerprints whatever order the ids were
/// assigned in, and one entry can be added or removed in O(1). The empty
/// mapping's fingerprint is 32 zeros.
public struct SequenceMapFingerprint: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case user
        case item
    }

    public private(set) var high: UInt64 = 0
    public private(set) var low: UInt64 = 0

    public init() {}

    public static func entryHash(kind: Kind, key: String, seqId: Int64) -> Hash128 {
        Hash128("\(kind.rawValue)\u{0}\(key)\u{0}\(seqId)")
    }

    public mutating func add(kind: Kind, key: String, seqId: Int64) {
        let h = Self.entryHash(kind: kind, key: key, seqId: seqId)
        high = high &+ h.high
        low = low &+ h.low
    }

    public var hex: String { Hash128(high: high, low: low).hex }
}

/// Dense ids 0, 1, 2, ... for one kind of key, held in memory so that
/// assigning or looking up an id costs one hash-table probe.
///
/// Ids assigned inside a transaction are journaled, so a rolled-back
/// transaction takes them back out and the next run assigns the same ids.
struct DenseIdMap {
    private(set) var ids: [String: Int64] = [:]
    private(set) var next: Int64 = 0
    private var journal: [String] = []
    private var nextAtBegin: Int64 = 0

    mutating func load(_ key: String, _ id: Int64) {
        ids[key] = id
        if id >= next { next = id + 1 }
    }

    subscript(key: String) -> Int64? { ids[key] }

    /// Assigns the next id to a key that has none.
    mutating func assign(_ key: String) -> Int64 {
        let id = next
        ids[key] = id
        next += 1
        journal.append(key)
        return id
    }

    mutating func beginTransaction() {
        journal.removeAll(keepingCapacity: true)
        nextAtBegin = next
    }

    mutating func commit() { journal.removeAll(keepingCapacity: true) }

    mutating func rollback() {
        for key in journal { ids[key] = nil }
        journal.removeAll(keepingCapacity: true)
        next = nextAtBegin
    }
}
