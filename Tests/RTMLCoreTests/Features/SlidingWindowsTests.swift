import Testing
@testable import RTMLCore

@Suite("Features: sliding windows")
struct SlidingWindowsTests {
    let m = FT.minute

    @Test func anEventIsInEveryWindowThatContainsIt() {
        let w = SlidingWindows(windowMillis: 10 * m, slideMillis: 5 * m)
        let t = FT.noon + 7 * m
        #expect(w.starts(containing: t) == [FT.noon + 5 * m, FT.noon])
        #expect(w.latestEnd(t) == FT.noon + 15 * m)
    }

    @Test func startsAreHalfOpen() {
        let w = SlidingWindows(windowMillis: 10 * m, slideMillis: 5 * m)
        // Exactly on a start: in that window and the one before, not in the one ending there.
        #expect(w.starts(containing: FT.noon) == [FT.noon, FT.noon - 5 * m])
        #expect(w.starts(containing: FT.noon - 1) == [FT.noon - 5 * m, FT.noon - 10 * m])
    }

    @Test func offsetShiftsEveryStart() {
        let w = SlidingWindows(windowMillis: 10 * m, slideMillis: 5 * m, offsetMillis: 2 * m)
        #expect(w.starts(containing: FT.noon + 7 * m) == [FT.noon + 7 * m, FT.noon + 2 * m])
        #expect(w.starts(containing: FT.noon + 6 * m) == [FT.noon + 2 * m, FT.noon - 3 * m])
        // An offset beyond the slide, or negative, names the same starts.
        #expect(SlidingWindows(windowMillis: 10 * m, slideMillis: 5 * m, offsetMillis: 12 * m) == w)
        #expect(SlidingWindows(windowMillis: 10 * m, slideMillis: 5 * m, offsetMillis: -3 * m) == w)
    }

    @Test func timesBeforeTheEpochUseFloorDivision() {
        let w = SlidingWindows(windowMillis: 10, slideMillis: 5)
        #expect(w.starts(containing: -1) == [-5, -10])
        #expect(w.starts(containing: -5) == [-5, -10])
        #expect(w.starts(containing: -6) == [-10, -15])
        #expect(w.starts(containing: 0) == [0, -5])
        let shifted = SlidingWindows(windowMillis: 10, slideMillis: 5, offsetMillis: 3)
        #expect(shifted.starts(containing: -1) == [-2, -7])
    }

    @Test func tumblingAndGappedWindows() {
        let tumbling = SlidingWindows(windowMillis: 5, slideMillis: 5)
        #expect(tumbling.starts(containing: 12) == [10])
        let gapped = SlidingWindows(windowMillis: 3, slideMillis: 5)
        #expect(gapped.starts(containing: 12) == [10])
        #expect(gapped.starts(containing: 13) == [])
        #expect(gapped.latestEnd(13) == 13)
    }
}
