/// Folds every output of a `FeatureEngine` into a Hash128, exact bit
/// patterns included: the golden test pins it, and the engine benchmark
/// prints it so two builds can be checked for identical outputs.
public struct FeatureOutputDigest {
    public init() {}

    var bytes: [UInt8] = []
    var hash = Hash128(high: 0, low: 0)

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func str(_ s: String) {
        i64(Int64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func row(_ r: PackedFeatureRow) { row(r.featureRow) }

    public mutating func row(_ r: FeatureRow) {
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

    public mutating func add(_ outcome: FeatureEngine.Outcome) {
        switch outcome {
        case .late(let w): u8(10); i64(w)
        case .accepted(let r, let trigger):
            u8(11)
            row(r)
            str(trigger ?? "-")
        }
        flushIfLarge()
    }

    public mutating func drain(_ engine: FeatureEngine) {
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

    public mutating func flushIfLarge(_ force: Bool = false) {
        guard force || bytes.count > 1 << 20 else { return }
        let seed = hash.high ^ hash.low
        let h = bytes.withUnsafeBytes { Hash128($0, seed: seed) }
        hash = Hash128(high: h.high ^ hash.low, low: h.low)
        bytes.removeAll(keepingCapacity: true)
    }

    public var hex: String {
        mutating get {
            flushIfLarge(true)
            return String(hash.high, radix: 16) + String(hash.low, radix: 16)
        }
    }
}
