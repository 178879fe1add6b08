import Testing
@testable import RTMLCore

/// Every output of the engine on fixed simulated streams, folded into one
/// hash per stream: history rows, triggers, late verdicts, finalised windows,
/// changed online rows, dirty window counts and the users whose state changed
/// or was dropped, taken at irregular batch boundaries. The hashes were made
/// with the first (reference) engine; any change to an output changes them.
/// Checkpoint bytes are not part of it (their format may change with its
/// version byte); restoring is checked by `FeatureCheckpointTests`.
@Suite("Features: golden outputs")
struct FeatureGoldenTests {
    static let stream = FT.simulated(users: 160, seed: 21, lateRate: 0.03, duplicateRate: 0.02)

    static func digest(_ configure: (inout FeatureConfig) -> Void = { _ in }) -> String {
        let engine = FT.engine(configure)
        var d = OutputDigest()
        var batch = 1
        var inBatch = 0
        for e in stream {
            d.add(engine.process(e))
            inBatch += 1
            if inBatch == batch {
                d.drain(engine)
                inBatch = 0
                batch = batch % 97 + 13
            }
        }
        d.drain(engine)
        engine.flushAll()
        d.drain(engine)
        return d.hex
    }

    @Test func theStreamIsTheOneTheHashesWereMadeWith() {
        #expect(Self.stream.count == 12003)
    }

    @Test func defaultSettings() {
        #expect(Self.digest() == "83e0a9b6dbc5305264fda38fb3df6b26")
    }

    @Test func otherWindowsSessionsAndMemory() {
        #expect(Self.digest {
            $0.windowMillis = 7 * FT.minute
            $0.slideMillis = 2 * FT.minute
            $0.windowOffsetMillis = 37_000
            $0.watermarkDelayMillis = 3 * FT.minute
            $0.sessionGapMillis = 4 * FT.minute
            $0.searchMemoryMillis = 5 * FT.minute
        } == "a9d60ddd7374ce8cb8890eebb471f416")
    }

    @Test func tumblingWindowsAndALongWatermark() {
        #expect(Self.digest {
            $0.windowMillis = 5 * FT.minute
            $0.slideMillis = 5 * FT.minute
            $0.watermarkDelayMillis = 45 * FT.minute
        } == "ff5dcec694c25a52f2a69df24a716034")
    }
}

/// Folds engine outputs into a Hash128, exact bit patterns included.
struct OutputDigest {
    var bytes: [UInt8] = []
    var hash = Hash128(high: 0, low: 0)
    var items = 0

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func str(_ s: String) {
        i64(Int64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func row(_ r: FeatureRow) {
        str(r.userId)
        i64(r.eventTs)
        i64(r.updatedAt)
        i64(Int64(r.values.count))
        for v in r.values {
            switch v {
            case .null: u8(0)
            case .integer(let i): u8(1); i64(i)
            case .real(let x): u8(2); i64(Int64(bitPattern: x.bitPattern))
            case .text(let s): u8(3); str(s)
            case .vector(let f):
                u8(4)
                i64(Int64(f.count))
                for x in f { i64(Int64(x.bitPattern)) }
            }
        }
    }

    mutating func add(_ outcome: FeatureEngine.Outcome) {
        switch outcome {
        case .late(let w): u8(10); i64(w)
        case .accepted(let r, let trigger):
            u8(11)
            row(r)
            str(trigger ?? "-")
        }
        flushIfLarge()
    }

    mutating func drain(_ engine: FeatureEngine) {
        for w in engine.takeFinalWindows() {
            u8(20); str(w.userId); str(w.event); i64(w.windowStart); i64(w.windowEnd); i64(w.count)
        }
        for r in engine.takeChangedOnlineRows() { u8(21); row(r) }
        for (id, state) in engine.takeDirtyUserStates() { u8(state == nil ? 22 : 23); str(id) }
        for w in engine.takeDirtyWindows() {
            u8(24); str(w.userId); str(w.event); i64(w.windowStart); i64(w.count ?? -1)
        }
        u8(25)
        flushIfLarge()
    }

    mutating func flushIfLarge(_ force: Bool = false) {
        guard force || bytes.count > 1 << 20 else { return }
        let seed = hash.high ^ hash.low
        let h = bytes.withUnsafeBytes { Hash128($0, seed: seed) }
        hash = Hash128(high: h.high ^ hash.low, low: h.low)
        bytes.removeAll(keepingCapacity: true)
    }

    var hex: String {
        mutating get {
            flushIfLarge(true)
            return String(hash.high, radix: 16) + String(hash.low, radix: 16)
        }
    }
}
