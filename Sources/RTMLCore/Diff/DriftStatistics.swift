import Foundation

/// PSI and the Kolmogorov-Smirnov statistic of two numeric columns, from
/// both columns read in ascending order (SQLite sorts them, in bounded
/// memory), in one merge pass.
///
/// PSI bins are A's deciles: the cut points are A's values at ranks
/// ceil(k * n / 10), k = 1...9; equal cut points merge, so a column with
/// many equal values has fewer bins. A value v is in bin i when exactly i
/// distinct cut points are below it (bins are (q_i, q_{i+1}]). When either
/// store has NULLs they form one more bin. Shares are over all rows of each
/// store; a share of zero counts as `epsilon` (1e-4), so an empty bin gives
/// a large, finite PSI. PSI = sum over bins of (b - a) * ln(b / a).
///
/// KS is max over x of |F_A(x) - F_B(x)| for the empirical distribution
/// functions of the non-null values, evaluated after each distinct value.
public struct NumericDriftAccumulator {
    public static let quantileBins = 10
    public static let epsilon = 1e-4

    let countA: Int
    let countB: Int
    private var cutRanks: [Int]
    private var nextCut = 0
    private(set) var cuts: [Double] = []
    private(set) var binsA: [Int]
    private(set) var binsB: [Int]
    private var seenA = 0
    private var seenB = 0
    private(set) var ks = 0.0

    /// `countA`/`countB`: how many non-null numbers each sorted stream will give.
    public init(countA: Int, countB: Int) {
        self.countA = countA
        self.countB = countB
        cutRanks = (1..<Self.quantileBins).map { k in Int((Double(k * countA) / Double(Self.quantileBins)).rounded(.up)) }
        binsA = Array(repeating: 0, count: Self.quantileBins)
        binsB = Array(repeating: 0, count: Self.quantileBins)
    }

    @inline(__always) private func bin(_ v: Double) -> Int {
        var i = cuts.count
        while i > 0 && cuts[i - 1] >= v { i -= 1 }
        return i
    }

    /// Feeds every value equal to the smallest remaining one: `a` and `b`
    /// are how many of A's and B's values equal `value`.
    public mutating func add(value: Double, a: Int, b: Int) {
        if b > 0 { binsB[bin(value)] += b }
        if a > 0 {
            binsA[bin(value)] += a
            seenA += a
            while nextCut < cutRanks.count && cutRanks[nextCut] <= seenA {
                if cutRanks[nextCut] >= 1 && cuts.last != value { cuts.append(value) }
                nextCut += 1
            }
        }
        seenB += b
        if countA > 0 && countB > 0 {
            ks = max(ks, abs(Double(seenA) / Double(countA) - Double(seenB) / Double(countB)))
        }
    }

    /// PSI over the quantile bins plus a NULL bin when there are NULLs.
    public func psi(nullsA: Int, nullsB: Int) -> (psi: Double?, bins: Int) {
        let totalA = countA + nullsA, totalB = countB + nullsB
        guard totalA > 0, totalB > 0 else { return (nil, 0) }
        var a = Array(binsA.prefix(cuts.count + 1)), b = Array(binsB.prefix(cuts.count + 1))
        if nullsA + nullsB > 0 {
            a.append(nullsA)
            b.append(nullsB)
        }
        return (Self.psi(a: a, b: b), a.count)
    }

    /// PSI of two histograms over the same bins (counts).
    public static func psi(a: [Int], b: [Int]) -> Double {
        let totalA = Double(a.reduce(0, +)), totalB = Double(b.reduce(0, +))
        guard totalA > 0, totalB > 0 else { return 0 }
        var sum = 0.0
        for (x, y) in zip(a, b) {
            let p = max(Double(x) / totalA, epsilon), q = max(Double(y) / totalB, epsilon)
            sum += (q - p) * log(q / p)
        }
        return sum
    }

    /// Statistics of two in-memory samples (for tests and small inputs).
    public static func of(_ a: [Double], _ b: [Double], nullsA: Int = 0, nullsB: Int = 0) -> (psi: Double?, ks: Double?, bins: Int) {
        ofSorted(a.sorted(), b.sorted(), nullsA: nullsA, nullsB: nullsB)
    }

    /// Statistics of two samples already in ascending order.
    static func ofSorted(_ sa: [Double], _ sb: [Double], nullsA: Int, nullsB: Int) -> (psi: Double?, ks: Double?, bins: Int) {
        var acc = NumericDriftAccumulator(countA: sa.count, countB: sb.count)
        var i = 0, j = 0
        while i < sa.count || j < sb.count {
            let v = j >= sb.count || (i < sa.count && sa[i] <= sb[j]) ? sa[i] : sb[j]
            var na = 0, nb = 0
            while i < sa.count && sa[i] == v { i += 1; na += 1 }
            while j < sb.count && sb[j] == v { j += 1; nb += 1 }
            acc.add(value: v, a: na, b: nb)
        }
        let (psi, bins) = acc.psi(nullsA: nullsA, nullsB: nullsB)
        return (psi, sa.isEmpty || sb.isEmpty ? nil : acc.ks, bins)
    }
}

/// PSI of a text column over its categories (plus NULL), at most
/// `limit` distinct values; beyond that no PSI is given.
enum CategoricalDrift {
    static let limit = 1000

    static func count(_ value: String?, into table: inout [String: Int]?) {
        guard table != nil else { return }
        let key = value ?? "\u{0}NULL"
        table![key, default: 0] += 1
        if table!.count > limit { table = nil }
    }

    static func psi(_ a: [String: Int]?, _ b: [String: Int]?) -> (Double?, Int) {
        guard let a, let b else { return (nil, 0) }
        let keys = Set(a.keys).union(b.keys).sorted()
        guard !keys.isEmpty else { return (nil, 0) }
        return (NumericDriftAccumulator.psi(a: keys.map { a[$0] ?? 0 }, b: keys.map { b[$0] ?? 0 }), keys.count)
    }
}
