// libFuzzer target for the JSON scanner; built by Fuzz/run.sh together with
// Sources/RTMLCore/JSON/*.swift as one module, so it sees internal helpers too.
//
// Beyond "does not crash" (ASan checks every load), it asserts what ingest
// relies on: accepted text is well-formed UTF-8, member ranges are in bounds
// and in order, the fast nested lister agrees with the validating scan, and
// decoding and re-quoting a string round-trips.

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}

private var scanner = JSONScanner()
private var again = JSONScanner()
private var nested: [JSONMember] = []
private var deep = JSONScanner(maxDepth: 100_000)
private var careful = JSONScanner()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // A scanner with a depth limit the input cannot reach exercises the
    // stack beyond 64 levels; the limit must be the only difference.
    let deepResult = Result { () throws(JSONSyntaxError) -> JSONValueKind in try deep.scan(bytes) }
    // A leading space sends an object down the careful path rather than the
    // plain one (first byte `{`, last `}`): the answer must be the same, one
    // byte later.
    let spaced = [UInt8(0x20)] + Array(bytes)
    let carefulResult = spaced.withUnsafeBytes { p in
        Result { () throws(JSONSyntaxError) -> JSONValueKind in try careful.scan(p) }
    }
    let kind: JSONValueKind
    do {
        kind = try scanner.scan(bytes)
    } catch {
        check(carefulResult == .failure(JSONSyntaxError(offset: error.offset + 1, reason: error.reason)),
              "the plain and careful paths disagree: \(error) against \(carefulResult)")
        check(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside 0...\(size)")
        check(scanner.members.isEmpty, "members left after a rejected scan")
        _ = error.description
        if case .tooDeep = error.reason {
        } else {
            check(deepResult == .failure(error), "the depth limit changed a different error")
        }
        return 0
    }
    check(deepResult == .success(kind) && deep.members == scanner.members, "a higher depth limit changed the result")
    check(carefulResult == .success(kind) && careful.members.map { shift($0, by: -1) } == scanner.members,
          "the plain and careful paths disagree on an accepted text")
    check(UTF8Validation.isValid(bytes), "accepted text is not well-formed UTF-8")

    var previousEnd = 0
    for m in scanner.members {
        check(m.keyStart >= 1 && m.keyStart <= m.keyEnd && m.keyEnd < m.valueStart && m.valueStart < m.valueEnd && m.valueEnd <= size,
              "member ranges out of order or bounds: \(m)")
        check(m.keyStart > previousEnd, "members overlap")
        previousEnd = m.valueEnd
        check(bytes[m.keyStart - 1] == UInt8(ascii: "\"") && bytes[m.keyEnd] == UInt8(ascii: "\""), "key not between quotes")
        check(JSONScanner.kind(of: bytes[m.valueStart]) == m.kind, "kind does not match the value's first byte")

        let key = JSONString.decodeKey(of: m, in: bytes)
        roundTrip(key)
        switch m.kind {
        case .string:
            check(bytes[m.valueEnd - 1] == UInt8(ascii: "\""), "string value does not end with a quote")
            let value = JSONString.decodeValue(of: m, in: bytes)
            check(!value.unicodeScalars.contains("\u{FFFD}") || hasReplacementCharacter(bytes, m), "decode produced U+FFFD from valid input")
            roundTrip(value)
        case .number:
            let d = JSONNumber.double(of: m, in: bytes)
            if let i = JSONNumber.int64(of: m, in: bytes) {
                check(d == Double(i), "int64 \(i) and double \(String(describing: d)) disagree")
            }
        case .object:
            // The scanner's answer for the value alone, shifted, must be what
            // the non-validating lister finds in place.
            let inner = UnsafeRawBufferPointer(rebasing: bytes[m.valueStart..<m.valueEnd])
            let innerKind = try? again.scan(inner)
            check(innerKind == .object, "a nested object does not scan alone")
            JSONScanner.members(ofObjectIn: bytes, from: m.valueStart, to: m.valueEnd, into: &nested)
            let shifted = again.members.map { shift($0, by: m.valueStart) }
            check(nested == shifted, "nested lister disagrees with the scanner")
        default:
            break
        }
    }

    if kind == .object {
        let (start, end) = trimmedRange(bytes)
        JSONScanner.members(ofObjectIn: bytes, from: start, to: end, into: &nested)
        check(nested == scanner.members, "lister disagrees with the scanner on the top-level object")
    } else {
        check(scanner.members.isEmpty, "members recorded for a non-object")
    }

    // Surrounding whitespace must not change the answer.
    var padded: [UInt8] = [0x20, 0x0A, 0x09, 0x0D]
    padded.append(contentsOf: bytes)
    padded.append(contentsOf: [0x0D, 0x0A, 0x20])
    padded.withUnsafeBytes { p in
        let k = try? again.scan(p)
        check(k == kind, "padded text scans differently")
        check(again.members == scanner.members.map { shift($0, by: 4) }, "padded text has different members")
    }
    return 0
}

private func shift(_ m: JSONMember, by delta: Int) -> JSONMember {
    var m = m
    m.keyStart += delta
    m.keyEnd += delta
    m.valueStart += delta
    m.valueEnd += delta
    return m
}

private func trimmedRange(_ bytes: UnsafeRawBufferPointer) -> (Int, Int) {
    var start = 0
    var end = bytes.count
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
    while start < end && isSpace(bytes[start]) { start += 1 }
    while end > start && isSpace(bytes[end - 1]) { end -= 1 }
    return (start, end)
}

/// U+FFFD may only come out when the input spelled it (raw or `\ufffd`).
private func hasReplacementCharacter(_ bytes: UnsafeRawBufferPointer, _ m: JSONMember) -> Bool {
    let raw = Array(bytes[m.valueStart..<m.valueEnd])
    let text = String(decoding: raw, as: UTF8.self).lowercased()
    return text.contains("\u{FFFD}") || text.contains("\\ufffd")
}

/// Quoting a decoded string gives a JSON string that decodes to it again.
private func roundTrip(_ s: String) {
    var out: [UInt8] = []
    JSONString.appendQuoted(s, to: &out)
    out.withUnsafeBytes { q in
        check((try? again.scan(q)) == .string, "quoted string does not scan")
        check(JSONString.decode(q, from: 0, to: q.count) == s, "quote/decode does not round-trip")
    }
}
