import RTMLCore
import Testing

@Suite struct JSONNumberTests {
    private func double(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { JSONNumber.double($0, from: 0, to: bytes.count) }
    }

    private func int64(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { JSONNumber.int64($0, from: 0, to: bytes.count) }
    }

    @Test func parsesDoublesCorrectlyRounded() {
        #expect(double("0.1") == 0.1)
        #expect(double("1e308") == 1e308)
        #expect(double("1.7976931348623157e308") == .greatestFiniteMagnitude)
        #expect(double("5e-324") == .leastNonzeroMagnitude)
        #expect(double("1e-400") == 0)
        #expect(double("600") == 600)
        #expect(double("123456789012345678") == 123456789012345678)
        #expect(double("9007199254740993") == 9007199254740992)     // ties to even
        #expect(double("0.30000000000000004") == 0.30000000000000004)
        #expect(double("2.2250738585072011e-308") == 2.2250738585072011e-308)
        #expect(double("1764144000.123") == 1764144000.123)
        #expect(double("1E2") == 100 && double("1e+2") == 100 && double("-2.5e-3") == -0.0025)
        let negativeZero = double("-0")
        #expect(negativeZero == 0 && negativeZero?.sign == .minus)
        #expect(double("-0.0")?.sign == .minus)
    }

    @Test func doubleIsNilForOverflowAndNonNumbers() {
        #expect(double("1e309") == nil)
        #expect(double("-1e400") == nil)
        for bad in ["", "-", "01", "1.", ".5", "+1", "1e", "0x10", "1 ", "NaN", "\"1\""] {
            #expect(double(bad) == nil, "\(bad)")
        }
    }

    @Test func parsesInt64() {
        #expect(int64("123456789012345678") == 123456789012345678)
        #expect(int64("0") == 0 && int64("-0") == 0 && int64("-42") == -42)
        #expect(int64("9223372036854775807") == .max)
        #expect(int64("-9223372036854775808") == .min)
        #expect(int64("9223372036854775808") == nil)
        #expect(int64("-9223372036854775809") == nil)
        #expect(int64("99999999999999999999") == nil)
        #expect(int64("1.5") == nil)
        #expect(int64("1.0") == nil)
        #expect(int64("1e3") == nil)
        #expect(int64("01") == nil)
        #expect(int64("-") == nil && int64("") == nil)
    }

    @Test func agreesWithSwiftOnRandomNumbers() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let mantissa = String(UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng))
            let point = Int.random(in: 0...mantissa.count, using: &rng)
            var text = String(mantissa.prefix(point))
            if text.isEmpty || (text.count > 1 && text.first == "0") { text = "0" }
            if point < mantissa.count { text += "." + mantissa.dropFirst(point) }
            if Bool.random(using: &rng) { text += "e\(Int.random(in: -30...30, using: &rng))" }
            #expect(double(text) == Double(text), "\(text)")
        }
    }
}
