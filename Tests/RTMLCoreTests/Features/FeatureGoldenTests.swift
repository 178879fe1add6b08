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
        var d = FeatureOutputDigest()
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
