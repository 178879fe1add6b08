import CSupport
import Foundation

/// The mark `rtml replay pace` puts on each event it emits, carried through
/// every stage so the end of a pipeline can tell how long an event took.
///
/// Two top-level members are appended to the event object:
/// `"replaySeq":N` (1-based emission order) and
/// `"replayedAt":"2026-11-27T10:00:00.123456Z"` (the wall clock at emission,
/// RFC 3339 UTC with microseconds). Ingest keeps unknown top-level members as
/// they came; featurize copies both onto the job of a triggering event; serve-once
/// copies them from the job onto its prediction; `rtml replay measure` reads them.
/// A stage that sees no stamp writes none, so unstamped pipelines are unchanged.
public enum ReplayStamp {
    static let seqKey: StaticString = "\"replaySeq\":"
    static let atKey: StaticString = "\"replayedAt\":\""

    /// The wall clock in microseconds since the epoch (the stamp's clock).
    public static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    /// `2026-11-27T10:00:00.123456Z`.
    public static func formatMicros(_ micros: Int64) -> String {
        let millis = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
        let rest = micros - millis * 1000
        var text = EventTime.formatRFC3339(millis)
        text.removeLast()
        let digits = String(rest)
        return text + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Parses `formatMicros`'s form (or any RFC 3339 time, to the millisecond).
    public static func parseMicros(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes.count == 27, bytes[26] == UInt8(ascii: "Z"), bytes[19] == UInt8(ascii: ".") {
            let head = String(decoding: bytes[0..<23], as: UTF8.self) + "Z"
            guard case .success(let millis) = EventTime.parseRFC3339(head),
                  let extra = Int64(String(decoding: bytes[23..<26], as: UTF8.self)) else { return nil }
            return millis * 1000 + extra
        }
        guard case .success(let millis) = EventTime.parseRFC3339(text) else { return nil }
        return millis * 1000
    }

    /// Appends `line` to `out` with the stamp added as its last members. A line
    /// that is not a JSON object (ends otherwise than in `}`) goes as it is, so
    /// ingest refuses it exactly as it would have without replay.
    public static func stamp(_ line: UnsafeRawBufferPointer, seq: Int, micros: Int64, into out: inout [UInt8]) {
        var clock = Clock()
        stamp(line, seq: seq, micros: micros, into: &out, clock: &clock)
    }

    /// The last millisecond formatted: events replayed as fast as possible
    /// share their millisecond by the hundred, so the date part is formatted
    /// once per millisecond, not per event.
    public struct Clock {
        var millis: Int64 = .min
        var prefix: [UInt8] = []
        public init() {}
    }

    /// `stamp`, reusing `clock`'s formatting.
    public static func stamp(_ line: UnsafeRawBufferPointer, seq: Int, micros: Int64, into out: inout [UInt8], clock: inout Clock) {
        var end = line.count
        while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D { end -= 1 }
        guard end >= 2, line[end - 1] == UInt8(ascii: "}") else {
            out.append(contentsOf: line)
            return
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[0..<(end - 1)]))
        var inner = end - 2
        while inner > 0, line[inner] == 0x20 || line[inner] == 0x09 { inner -= 1 }
        if line[inner] != UInt8(ascii: "{") { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: #""replaySeq":"#.utf8)
        appendDecimal(seq, to: &out)
        out.append(contentsOf: #","replayedAt":""#.utf8)
        appendMicros(micros, to: &out, clock: &clock)
        out.append(contentsOf: "\"}".utf8)
    }

    private static func appendDecimal(_ n: Int, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var v = UInt64(max(0, n)), count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[23 - count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            } while v > 0 && count < 24
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(24 - count)...]))
        }
    }

    /// `formatMicros` into bytes.
    private static func appendMicros(_ micros: Int64, to out: inout [UInt8], clock: inout Clock) {
        let millis = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
        if clock.millis != millis {
            clock.millis = millis
            clock.prefix = Array(EventTime.formatRFC3339(millis).utf8.dropLast())
        }
        out.append(contentsOf: clock.prefix)
        let rest = Int(micros - millis * 1000)
        out.append(UInt8(ascii: "0") + UInt8(rest / 100))
        out.append(UInt8(ascii: "0") + UInt8(rest / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(rest % 10))
        out.append(UInt8(ascii: "Z"))
    }

    /// Copies the stamp's members found in `line` (a JSON object) onto `out`,
    /// each preceded by a comma; nothing when the line has none.
    @inline(__always)
    public static func carry(from line: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard let seqAt = find(seqKey, in: line) else { return }
        var i = seqAt + seqKey.utf8CodeUnitCount
        var digitsEnd = i
        while digitsEnd < line.count, line[digitsEnd] >= 0x30, line[digitsEnd] <= 0x39 { digitsEnd += 1 }
        guard digitsEnd > i else { return }
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[seqAt..<digitsEnd]))
        guard let atAt = find(atKey, in: line) else { return }
        i = atAt + atKey.utf8CodeUnitCount
        var close = i
        while close < line.count, line[close] != UInt8(ascii: "\"") { close += 1 }
        guard close < line.count, close - i <= 40 else { return }
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[atAt...close]))
    }

    /// The stamp of a line (an event, job or prediction), if it has one.
    public static func read(_ line: UnsafeRawBufferPointer) -> (seq: Int, micros: Int64)? {
        guard let seqAt = find(seqKey, in: line), let atAt = find(atKey, in: line) else { return nil }
        var seq = 0
        var i = seqAt + seqKey.utf8CodeUnitCount
        let start = i
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39, i - start < 18 {
            seq = seq * 10 + Int(line[i] - 0x30)
            i += 1
        }
        guard i > start else { return nil }
        let from = atAt + atKey.utf8CodeUnitCount
        var close = from
        while close < line.count, line[close] != UInt8(ascii: "\"") { close += 1 }
        guard close < line.count, close - from <= 40,
              let micros = parseMicros(String(decoding: UnsafeRawBufferPointer(rebasing: line[from..<close]), as: UTF8.self))
        else { return nil }
        return (seq, micros)
    }

    /// Where `key` starts in `line` as a member name (not inside an escaped string).
    @inline(__always)
    static func find(_ key: StaticString, in line: UnsafeRawBufferPointer) -> Int? {
        guard let base = line.baseAddress, line.count >= key.utf8CodeUnitCount else { return nil }
        var from = 0
        while from < line.count {
            guard let at = search(line, from: from, to: line.count, key) else { return nil }
            if at == 0 || line[at - 1] != UInt8(ascii: "\\") { return at }
            from = at + 1
        }
        return nil
    }

    /// The first offset of `key` in `bytes[from..<to]` (glibc's memmem).
    @inline(__always)
    static func search(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int, _ key: StaticString) -> Int? {
        let n = key.utf8CodeUnitCount
        guard let base = bytes.baseAddress, n > 0, to - from >= n else { return nil }
        guard let hit = rtml_memmem(base + from, to - from, key.utf8Start, n) else { return nil }
        return base.distance(to: hit)
    }
}
