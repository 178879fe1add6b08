import Foundation
import RTMLCore
import Testing

@Suite struct StandardizerTests {
    @Test func foldedCoefficientsScoreRawRowsAsTheStandardizedModelScoresScaledRows() {
        var table = ExampleTable(featureNames: ["a", "b", "c"])
        let rows: [[Double]] = [[1, 100, 5], [2, 110, 5], [4, 90, 5], [8, 130, 5]]
        for r in rows { table.values += r; table.targets.append(0) }
        let scaler = Standardizer(table, rows: [0, 1, 2, 3])
        #expect(scaler.means == [3.75, 107.5, 5])
        #expect(scaler.scales[2] == 1)  // constant column left unscaled
        let w = [0.5, -2.0, 3.0], b = 0.25
        let (raw, rawB) = scaler.fold(coefficients: w, intercept: b)
        for r in rows {
            let scaled = zip(zip(r, scaler.means), scaler.scales).map { ($0.0 - $0.1) / $1 }
            let expected = zip(w, scaled).map(*).reduce(b, +)
            let got = zip(raw, r).map(*).reduce(rawB, +)
            #expect(abs(expected - got) < 1e-9)
        }
        let m = scaler.matrix(table, rows: [3, 0])
        #expect(m.rows == 2 && abs(m[0, 0] - (8 - 3.75) / scaler.scales[0]) < 1e-12 && m[1, 2] == 0)
    }
}
