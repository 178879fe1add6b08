/// Train/test split by time, never at random: time-ordered examples split at
/// random would let the model see the future of the users it is tested on.
public enum TimeSplit: Sendable, Equatable {
    /// Examples with time < the cut (epoch ms) train, the others test.
    case at(Int64)
    /// The latest `fraction` of the examples (by time) test.
    case lastFraction(Double)

    /// The cut time this split means for `times`: the first test time.
    /// For a fraction, the time of the example at rank ⌈n·(1−f)⌉ in time
    /// order, so ties at the cut all go to the test side.
    public func cutTime(for times: [Int64]) -> Int64 {
        switch self {
        case .at(let t): return t
        case .lastFraction(let f):
            guard !times.isEmpty else { return 0 }
            let sorted = times.sorted()
            let trainCount = Int((Double(sorted.count) * (1 - f)).rounded(.up))
            return trainCount >= sorted.count ? (sorted.last! + 1) : sorted[max(0, trainCount)]
        }
    }

    /// Row indices of the training and test sides (each in table order).
    public func split(_ table: ExampleTable) throws -> (train: [Int], test: [Int], cut: Int64) {
        guard let times = table.times else {
            throw RTMLError("a time split needs rows with a time; these rows have none")
        }
        let cut = cutTime(for: times)
        var train: [Int] = []
        var test: [Int] = []
        for (i, t) in times.enumerated() {
            if t < cut { train.append(i) } else { test.append(i) }
        }
        return (train, test, cut)
    }
}
