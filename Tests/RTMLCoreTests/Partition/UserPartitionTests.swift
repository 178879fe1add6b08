import Testing
@testable import RTMLCore

@Suite struct UserPartitionTests {
    /// Pinned values: the hash is part of rtml's contract (a user must stay in
    /// its partition across releases). The same figures come out of the Python
    /// recomputation in examples/spark/rtml_partition.py.
    @Test func theHashIsPinned() {
        #expect(Hash128("u42").hex == "36ef159e761966b01f30dab29ef1851e")
        #expect(Hash128("abcdefghi").hex == "68f8c94e504f3130b1279b34e7f12f3c")
        #expect(Hash128("ü-anon-7").hex == "279bd6b0981f12aac94fe5a35432e7ca")
        #expect(UserPartition.of(key: "u42", count: 4) == 2)
        #expect(UserPartition.of(key: "u1", count: 4) == 3)
        #expect(UserPartition.of(key: "abcdefghi", count: 4) == 0)
        #expect(UserPartition.of(key: "u42", count: 1) == 0)
    }

    @Test func spreadsUsersEvenly() {
        var counts = [Int](repeating: 0, count: 8)
        for u in 0..<80_000 { counts[UserPartition.of(key: "u\(u)", count: 8)] += 1 }
        for c in counts { #expect(abs(c - 10_000) < 400) }
    }

    @Test func parsesIOverN() {
        #expect(UserPartition(parsing: "0/4") == UserPartition(index: 0, count: 4))
        #expect(UserPartition(parsing: "3/4")?.description == "3/4")
        for bad in ["4/4", "-1/4", "1/0", "0/0", "a/b", "2", "1/2/3", "/4", ""] {
            #expect(UserPartition(parsing: bad) == nil, "\(bad)")
        }
    }

    func route(_ line: String, _ n: Int = 16) -> (index: Int, route: PartitionKeyReader.Route) {
        var reader = PartitionKeyReader()
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { reader.partition(ofLine: UnsafeRawBufferPointer($0), count: n) }
    }

    @Test func keyIsUserIdElseAnonymousId() {
        let u42 = UserPartition.of(key: "u42", count: 16)
        #expect(route(#"{"userId":"u42","anonymousId":"a9"}"#) == (u42, .key))
        #expect(route(#"{"anonymousId":"u42","userId":""}"#) == (u42, .key))
        #expect(route(#"{"anonymousId":"u42","userId":null}"#) == (u42, .key))
        #expect(route(#"{"userId":"u\u0034\u0032"}"#) == (u42, .key))
        #expect(route(#"{"userId":"u42","userId":"other"}"#) == (u42, .key))
        #expect(route(#"{"\u0075serId":"u42"}"#) == (u42, .key))
    }

    @Test func linesWithoutAKeyGoByTheirRawBytes() {
        for line in ["not json", #"{"userId":""}"#, #"{"userId":42}"#, #"["u42"]"#, #"{"event":"x"}"#] {
            #expect(route(line) == (UserPartition.of(key: line, count: 16), .raw), "\(line)")
        }
    }

    /// ingest takes the key from its own parse of accepted lines; it must be
    /// the key the partition reader (and so `rtml partition`) finds.
    @Test func ingestsEntityPartitionAgreesWithTheReader() throws {
        let lines = [
            #"{"event":"a","userId":"u7","timestamp":1795680000}"#,
            #"{"event":"a","userId":"","anonymousId":"anon-ü","timestamp":1795680000}"#,
            #"{"event":"a","anonymousId":"x\"y","timestamp":1795680000}"#,
            #"{"event":"a","userId":null,"anonymousId":"z","timestamp":1795680000}"#,
        ]
        for n in [2, 3, 16] {
            for line in lines {
                var normalizer = EventNormalizer()
                var bytes = Array(line.utf8)
                let index = try bytes.withUnsafeMutableBytes { buffer in
                    _ = try normalizer.normalize(UnsafeRawBufferPointer(buffer))
                    return normalizer.entityPartition(count: n)
                }
                #expect(index == route(line, n).index, "\(line)")
                #expect(route(line, n).route == .key)
            }
        }
    }
}
