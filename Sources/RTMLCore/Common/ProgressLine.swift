import Foundation

/// A one-line progress display on stderr, shown only when stderr is a terminal.
///
/// `tick` is cheap enough to call per record: it looks at the clock only
/// every few thousand calls and redraws at most four times a second.
public final class ProgressLine {
    private let label: String
    private let enabled: Bool
    private let start = Monotonic.now()
    private var lastDraw: Double = 0
    private var calls = 0
    private var drawn = false

    public init(label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.enabled = enabled
    }

    @inline(__always)
    public func tick(_ count: Int, _ detail: @autoclosure () -> String = "") {
        guard enabled else { return }
        calls &+= 1
        guard calls & 4095 == 0 else { return }
        let now = Monotonic.now()
        guard now - lastDraw >= 0.25 else { return }
        lastDraw = now
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(count) / elapsed : 0
        let text = "\r\u{1B}[K\(label): \(Format.count(count)) records, \(Format.rate(rate))/s, \(Format.seconds(elapsed)) \(detail())"
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    /// Clears the line so the summary that follows starts clean.
    public func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Seconds on a monotonic clock, for elapsed times and rates.
public enum Monotonic {
    @inline(__always)
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The same clock in whole nanoseconds, for latency histograms.
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Numbers as summaries print them.
public enum Format {
    /// 1234567 → "1,234,567".
    public static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// 1234567.0 → "1.23M".
    public static func rate(_ r: Double) -> String {
        switch r {
        case 1e9...: return String(format: "%.2fG", r / 1e9)
        case 1e6...: return String(format: "%.2fM", r / 1e6)
        case 1e3...: return String(format: "%.1fk", r / 1e3)
        default: return String(format: "%.0f", r)
        }
    }

    public static func seconds(_ s: Double) -> String {
        s < 10 ? String(format: "%.2fs", s) : String(format: "%.1fs", s)
    }
}
