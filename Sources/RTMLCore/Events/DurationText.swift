/// Durations as users write them on command lines: `500ms`, `30s`, `10m`, `1h`, `24h`, `1d`.
public enum DurationText {
    /// Parses a duration into milliseconds; nil when it is not of that form.
    public static func parseMillis(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "10ms" also ends in "s": only take a unit whose number parses.
            if let value = Int64(number), value >= 0 {
                let (product, overflow) = value.multipliedReportingOverflow(by: scale)
                return overflow ? nil : product
            }
        }
        return nil
    }

    /// Writes milliseconds back in the largest unit that divides them exactly.
    public static func format(millis: Int64) -> String {
        if millis == 0 { return "0s" }
        for (suffix, scale) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where millis % scale == 0 {
            return "\(millis / scale)\(suffix)"
        }
        return "\(millis)ms"
    }
}
