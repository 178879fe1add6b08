import Foundation

/// A model fit's iterations as lines on stderr, for example
///
///     iteration 12  loss 0.412871  max |Δw|/|w| 0.00124  gap 3.1e-07
///
/// shown by default only when stderr is a terminal (`enabled`).
///
/// Lines rather than one redrawn status line: the loss history is what a
/// person scrolls back to when a fit misbehaves. Coordinate descent and
/// L-BFGS can run hundreds of iterations a second, so after the first
/// iteration a line is printed at most every `interval` seconds, and
/// ``finish()`` prints the last iteration if its line was skipped: the first
/// and the final state are always there.
public final class IterationProgress {
    /// Whether lines are printed at all (callers skip costly extras, like ALS's loss, when not).
    public let enabled: Bool
    private let total: Int?
    private let interval: Double
    private let clock: () -> Double
    private let write: (String) -> Void
    private var lastPrinted: Double?
    /// The latest iteration that was not printed, kept for ``finish()``.
    private var skipped: (iteration: Int, loss: Double, measures: [(String, Double)])?

    /// - Parameters:
    ///   - total: the number of iterations when it is known in advance (ALS), shown as "3/15".
    ///   - clock: seconds on a monotonic clock; tests give a fake one.
    ///   - write: takes one line without its newline; the default writes it to stderr.
    public init(
        enabled: Bool = isatty(STDERR_FILENO) == 1, total: Int? = nil, interval: Double = 0.25,
        clock: @escaping () -> Double = Monotonic.now,
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) {
        self.enabled = enabled
        self.total = total
        self.interval = interval
        self.clock = clock
        self.write = write
    }

    /// Reports one finished iteration; `measures` are the solver's convergence
    /// numbers, printed in order after the loss.
    public func report(iteration: Int, loss: Double, _ measures: [(String, Double)] = []) {
        guard enabled else { return }
        let now = clock()
        if let last = lastPrinted, now - last < interval {
            skipped = (iteration, loss, measures)
            return
        }
        lastPrinted = now
        skipped = nil
        write(line(iteration, loss, measures))
    }

    /// Prints the last iteration if it was skipped; call once after the fit.
    public func finish() {
        guard enabled, let last = skipped else { return }
        skipped = nil
        write(line(last.iteration, last.loss, last.measures))
    }

    private func line(_ iteration: Int, _ loss: Double, _ measures: [(String, Double)]) -> String {
        var text = "  iteration \(iteration)\(total.map { "/\($0)" } ?? "")  loss \(String(format: "%.6g", loss))"
        for (name, value) in measures { text += "  \(name) \(String(format: "%.3g", value))" }
        return text
    }
}
