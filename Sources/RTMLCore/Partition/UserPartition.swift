/// Partition `index` of `count`: the users whose entity key hashes to `index`.
///
/// The rule is part of rtml's contract (docs/scale-out.md recomputes it in
/// Python): the key is the entity every feature is keyed by, `userId` when it
/// is a non-empty string, else `anonymousId`; its UTF-8 bytes (JSON escapes
/// decoded) are hashed with `Hash128` and seed 0, and the partition is the
/// low 64-bit lane modulo `count`. `Hash128` never changes between releases,
/// so neither does a user's partition, on any machine.
public struct UserPartition: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// Reads `I/N` (0-based I, 0 <= I < N).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The partition of the entity key `key` among `count`.
    @inline(__always)
    public static func of(key: UnsafeRawBufferPointer, count: Int) -> Int {
        Int(Hash128(key, seed: 0).low % UInt64(count))
    }

    public static func of(key: String, count: Int) -> Int {
        var copy = key
        return copy.withUTF8 { of(key: UnsafeRawBufferPointer($0), count: count) }
    }

    public func contains(key: String) -> Bool { Self.of(key: key, count: count) == index }
    public func contains(key: UnsafeRawBufferPointer) -> Bool { Self.of(key: key, count: count) == index }
}

/// Finds the partition of any input line, valid or not, so that every line
/// belongs to exactly one partition and none is lost when a log is split.
///
/// - A line that is a JSON object with a usable key (`userId` when a
///   non-empty string, else `anonymousId` when a non-empty string; the first
///   occurrence when a key is repeated) goes where its key goes. For every line
///   ingest accepts this is exactly the entity featurize keys by.
/// - Any other line (not JSON, no usable key) goes where the hash of its raw
///   bytes (without the line ending) goes: the stage that reads it there
///   rejects it, so the union of the partitions' rejects is the single run's.
/// - A line longer than `--max-line-bytes` (never held whole) is in partition 0.
public struct PartitionKeyReader {
    public enum Route: Sendable, Equatable {
        /// By the entity key.
        case key
        /// By the raw line: no usable key.
        case raw
        /// Too long to hold: partition 0.
        case oversize
    }

    private var scanner: JSONScanner
    private var decoded: [UInt8] = []

    public init(maxDepth: Int = 64) {
        scanner = JSONScanner(maxDepth: maxDepth)
    }

    /// The partition of `line` among `count`, and how it was chosen.
    public mutating func partition(of line: InputLine, count: Int) -> (index: Int, route: Route) {
        if line.isOversize { return (0, .oversize) }
        return partition(ofLine: line.bytes, count: count)
    }

    public mutating func partition(ofLine bytes: UnsafeRawBufferPointer, count: Int) -> (index: Int, route: Route) {
        if let index = keyPartition(bytes, count: count) { return (index, .key) }
        return (UserPartition.of(key: bytes, count: count), .raw)
    }

    private mutating func keyPartition(_ bytes: UnsafeRawBufferPointer, count: Int) -> Int? {
        guard let kind = try? scanner.scan(bytes), kind == .object else { return nil }
        let members = scanner.members
        for name in [0, 1] {
            let found = name == 0
                ? JSONScanner.firstIndex(of: "userId", in: members, bytes: bytes)
                : JSONScanner.firstIndex(of: "anonymousId", in: members, bytes: bytes)
            guard let k = found else { continue }
            let member = members[k]
            guard member.kind == .string, member.valueEnd - member.valueStart > 2 else { continue }
            if member.stringHasEscapes {
                decoded.removeAll(keepingCapacity: true)
                JSONString.appendDecodedContent(bytes, from: member.valueStart + 1, to: member.valueEnd - 1, to: &decoded)
                return decoded.withUnsafeBytes { UserPartition.of(key: $0, count: count) }
            }
            return UserPartition.of(key: UnsafeRawBufferPointer(rebasing: bytes[(member.valueStart + 1)..<(member.valueEnd - 1)]), count: count)
        }
        return nil
    }
}
