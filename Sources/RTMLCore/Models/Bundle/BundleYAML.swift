import Foundation

/// The YAML that MLmodel files are written in: block maps, block lists and
/// scalars, emitted and read back as a `JSONValue` tree.
///
/// MLflow writes MLmodel with PyYAML's block style; this writes the same
/// style (two-space indent, list items at their key's indent) so the file
/// reads like any MLmodel and PyYAML's `safe_load` gives the same values.
/// The reader takes exactly that subset: block maps, block lists, plain,
/// single-quoted and double-quoted one-line scalars, and the empty flow
/// collections `{}` and `[]`. Plain scalars resolve as YAML 1.2's core schema
/// says (null, booleans, integers, floats, else strings). Anchors, aliases,
/// tags, block scalars and flow collections are refused, so a bundle can
/// never ask its reader to build an object or run anything: it is data only.
public enum BundleYAML {
    // MARK: Emitting

    /// The document for a map, ending in a newline.
    public static func emit(_ document: JSONValue) -> String {
        var lines: [String] = []
        switch document {
        case .object(let members) where !members.isEmpty:
            emitMap(members, indent: 0, into: &lines)
        default:
            lines.append(inlineScalar(document) ?? "{}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func emitMap(_ members: [(String, JSONValue)], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in members {
            let head = pad + quotedIfNeeded(key) + ":"
            switch value {
            case .object(let m) where !m.isEmpty:
                lines.append(head)
                emitMap(m, indent: indent + 2, into: &lines)
            case .array(let items) where !items.isEmpty:
                lines.append(head)
                emitList(items, indent: indent, into: &lines)
            default:
                lines.append(head + " " + inlineScalar(value)!)
            }
        }
    }

    private static func emitList(_ items: [JSONValue], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let m) where !m.isEmpty:
                // The first member shares the dash's line; the rest line up under it.
                var sub: [String] = []
                emitMap(m, indent: indent + 2, into: &sub)
                sub[0] = pad + "- " + sub[0].dropFirst(indent + 2)
                lines.append(contentsOf: sub)
            case .array(let inner) where !inner.isEmpty:
                lines.append(pad + "-")
                emitList(inner, indent: indent + 2, into: &lines)
            default:
                lines.append(pad + "- " + inlineScalar(item)!)
            }
        }
    }

    /// A scalar or empty collection as it appears after `key: ` or `- `; nil for a non-empty collection.
    private static func inlineScalar(_ value: JSONValue) -> String? {
        switch value {
        case .object(let m): return m.isEmpty ? "{}" : nil
        case .array(let a): return a.isEmpty ? "[]" : nil
        case .string(let s): return quotedIfNeeded(s)
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v):
            if v.isNaN { return ".nan" }
            if v.isInfinite { return v < 0 ? "-.inf" : ".inf" }
            // Swift's shortest round-trip form always has a '.' or a signed
            // exponent ("1.0", "1e-05"); PyYAML (YAML 1.1) also wants the '.'
            // before an exponent, else it reads "1e-05" as a string.
            let text = "\(v)"
            if !text.contains("."), let e = text.firstIndex(of: "e") {
                return text[..<e] + ".0" + text[e...]
            }
            return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// Words YAML 1.1 readers (PyYAML) take as booleans or null; quoted so
    /// every reader sees a string.
    private static let reservedWords: Set<String> = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"]

    /// `s` plain when no YAML reader could take it as anything but this
    /// string; otherwise single-quoted, or double-quoted with escapes when it
    /// holds characters a single-quoted scalar cannot carry on one line.
    static func quotedIfNeeded(_ s: String) -> String {
        if isSafePlain(s) { return s }
        if s.unicodeScalars.allSatisfy({ isPrintable($0) && !extendsPrevious($0) }) {
            return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if isPrintable(u) && !extendsPrevious(u) {
                    out.unicodeScalars.append(u)
                } else if u.value <= 0xFF {
                    out += "\\x" + hex(u.value, digits: 2)
                } else {
                    out += "\\u" + hex(u.value, digits: 4)
                }
            }
        }
        return out + "\""
    }

    /// Letters, digits and `_ . / -` (and inner spaces), starting with a
    /// letter, `_` or `/`: never a number, date, indicator or comment start.
    private static func isSafePlain(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        guard isLetter(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: "/") else { return false }
        guard last != 0x20 else { return false }
        for b in bytes {
            guard isLetter(b) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "/") || b == UInt8(ascii: "-") || b == 0x20
            else { return false }
        }
        return !reservedWords.contains(s.lowercased())
    }

    private static func isLetter(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Printable in YAML's sense and not a line break YAML 1.1 would fold.
    private static func isPrintable(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x20...0x7E: true
        case 0xA0...0x2027, 0x202A...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: u.value != 0xFEFF
        default: false
        }
    }

    /// A scalar that joins the character before it (a combining mark, ZWJ):
    /// after a quote it would hide the quote from a reader that works in
    /// characters, so it is written as an escape.
    private static func extendsPrevious(_ u: Unicode.Scalar) -> Bool {
        u.value >= 0x300 && (u.properties.isGraphemeExtend || u.properties.generalCategory == .spacingMark || u.value == 0x200D)
    }

    private static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }

    // MARK: Reading

    /// Parses a document of the subset described above; `source` names the
    /// file in errors (`models/recs/3/MLmodel:12: tags are not supported`).
    public static func parse(_ text: String, source: String) throws -> JSONValue {
        // A byte order mark is allowed at the start of a YAML stream.
        var reader = try LineReader(text: text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, source: source)
        guard reader.current != nil else { return .object([]) }
        let value = try reader.node(minIndent: 0)
        if let line = reader.current {
            throw reader.fail(line, line.indent > 0 ? "unexpected indentation" : "unexpected text after the document")
        }
        return value
    }

    /// One non-blank, non-comment line: its number, indent and the text after the indent.
    fileprivate struct Line {
        var number: Int
        var indent: Int
        var text: Substring

        var isListItem: Bool { text == "-" || text.hasPrefix("- ") }
    }

    fileprivate struct LineReader {
        var lines: [Line] = []
        var index = 0
        let source: String

        init(text: String, source: String) throws {
            self.source = source
            var number = 0
            var sawDocumentStart = false
            // "\r\n" is one Character in Swift, so both endings are separators.
            for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                number += 1
                let indent = line.prefix { $0 == " " }.count
                let body = line.dropFirst(indent)
                if body.allSatisfy({ $0 == " " || $0 == "\t" }) || body.hasPrefix("#") { continue }
                if body.first == "\t" {
                    throw RTMLError("\(source):\(number): tab in indentation (YAML indents with spaces)")
                }
                if indent == 0 && (body == "---" || body.hasPrefix("--- ")) {
                    guard lines.isEmpty, !sawDocumentStart else {
                        throw RTMLError("\(source):\(number): more than one YAML document")
                    }
                    sawDocumentStart = true
                    continue
                }
                if indent == 0 && body == "..." { break }
                if indent == 0 && body.hasPrefix("%") {
                    throw RTMLError("\(source):\(number): YAML directives are not supported")
                }
                lines.append(Line(number: number, indent: indent, text: body))
            }
        }

        var current: Line? { index < lines.count ? lines[index] : nil }

        func fail(_ line: Line, _ reason: String) -> RTMLError {
            RTMLError("\(source):\(line.number): \(reason)")
        }

        func fail(number: Int, _ reason: String) -> RTMLError {
            RTMLError("\(source):\(number): \(reason)")
        }

        /// Far deeper than any MLmodel; bounds the recursion on hostile input.
        static let maxDepth = 64
        var depth = 0

        mutating func node(minIndent: Int) throws -> JSONValue {
            guard let line = current, line.indent >= minIndent else { return .null }
            guard depth < LineReader.maxDepth else { throw fail(line, "nested deeper than \(LineReader.maxDepth) levels") }
            depth += 1
            defer { depth -= 1 }
            return line.isListItem ? try list(indent: line.indent) : try map(indent: line.indent)
        }

        mutating func map(indent: Int) throws -> JSONValue {
            var members: [(String, JSONValue)] = []
            var seen: Set<String> = []
            while let line = current {
                if line.indent < indent { break }
                if line.indent > indent { throw fail(line, "unexpected indentation (multi-line scalars are not supported)") }
                if line.isListItem {
                    throw fail(line, members.isEmpty ? "expected 'key: value', found a list item" : "a list item cannot follow 'key: value' at the same indent")
                }
                guard let (key, rest) = try splitKey(line) else {
                    throw fail(line, "expected 'key: value'")
                }
                guard seen.insert(key).inserted else { throw fail(line, "duplicate key '\(key)'") }
                index += 1
                let value: JSONValue
                if rest.isEmpty {
                    if let next = current, next.indent > indent {
                        value = try node(minIndent: indent + 1)
                    } else if let next = current, next.indent == indent, next.isListItem {
                        value = try list(indent: indent)
                    } else {
                        value = .null
                    }
                } else {
                    value = try scalar(rest, line: line.number)
                }
                members.append((key, value))
            }
            return .object(members)
        }

        mutating func list(indent: Int) throws -> JSONValue {
            var items: [JSONValue] = []
            while let line = current {
                if line.indent < indent { break }
                if line.indent > indent { throw fail(line, "unexpected indentation (multi-line scalars are not supported)") }
                guard line.isListItem else { break }
                let afterDash = line.text.dropFirst()
                let spaces = afterDash.prefix { $0 == " " }.count
                let rest = afterDash.dropFirst(spaces)
                if rest.isEmpty || rest.hasPrefix("#") {
                    index += 1
                    if let next = current, next.indent > indent {
                        items.append(try node(minIndent: indent + 1))
                    } else {
                        items.append(.null)
                    }
                } else if rest == "-" || rest.hasPrefix("- ") {
                    throw fail(line, "nested list items on one line are not supported; put the inner list on the next lines")
                } else if try splitKey(Line(number: line.number, indent: 0, text: rest)) != nil {
                    // `- key: value` opens a map whose keys line up with `key`.
                    let column = indent + 1 + spaces
                    lines[index] = Line(number: line.number, indent: column, text: rest)
                    items.append(try map(indent: column))
                } else {
                    index += 1
                    items.append(try scalar(rest, line: line.number))
                }
            }
            return .array(items)
        }

        /// `key: rest` split at the colon that ends the key, or nil when the line is not a map entry.
        func splitKey(_ line: Line) throws -> (String, Substring)? {
            let text = line.text
            if text.hasPrefix("? ") || text == "?" { throw fail(line, "complex keys ('? ') are not supported") }
            if let q = text.first, q == "'" || q == "\"" {
                let (key, after) = try quoted(text, line: line.number)
                let rest = after.drop { $0 == " " }
                guard rest.first == ":" else { return nil }
                let value = rest.dropFirst()
                guard value.isEmpty || value.first == " " else { return nil }
                return (key, trimmedValue(value))
            }
            if text.first == "[" || text.first == "{" { return nil }
            var i = text.startIndex
            while i < text.endIndex {
                let c = text[i]
                if c == "#" && i > text.startIndex && text[text.index(before: i)] == " " { return nil }
                if c == ":" {
                    let next = text.index(after: i)
                    if next == text.endIndex || text[next] == " " {
                        let key = text[text.startIndex..<i].trimmingTrailingSpaces()
                        guard !key.isEmpty else { throw fail(line, "empty key") }
                        try checkPlainStart(key, line: line.number)
                        return (String(key), trimmedValue(text[next...]))
                    }
                }
                i = text.index(after: i)
            }
            return nil
        }

        /// The value part after a key, without leading spaces or a trailing comment-only remainder.
        private func trimmedValue(_ s: Substring) -> Substring {
            let v = s.drop { $0 == " " }
            return v.hasPrefix("#") ? v.dropFirst(v.count) : v
        }

        func checkPlainStart(_ text: Substring, line: Int) throws {
            switch text.first {
            case "&", "*": throw fail(number: line, "anchors and aliases are not supported (a bundle is data only)")
            case "!": throw fail(number: line, "tags are not supported (a bundle is data only)")
            case "|", ">": throw fail(number: line, "block scalars ('|', '>') are not supported")
            case "@", "`", "%", ",", "]", "}": throw fail(number: line, "a plain scalar cannot start with '\(text.first!)'")
            case "[", "{": throw fail(number: line, "flow collections are not supported (only the empty [] and {})")
            default: break
            }
        }

        /// A one-line scalar or empty flow collection, with any trailing comment.
        func scalar(_ text: Substring, line: Int) throws -> JSONValue {
            if let q = text.first, q == "'" || q == "\"" {
                let (value, after) = try quoted(text, line: line)
                let rest = after.drop { $0 == " " }
                guard rest.isEmpty || (rest.hasPrefix("#") && after.first == " ") else {
                    throw fail(number: line, "unexpected text after a quoted scalar")
                }
                return .string(value)
            }
            var plain = text
            if let hash = plain.range(of: " #") { plain = plain[plain.startIndex..<hash.lowerBound] }
            plain = plain.trimmingTrailingSpaces()
            let compact = plain.filter { $0 != " " }
            if compact == "[]" { return .array([]) }
            if compact == "{}" { return .object([]) }
            try checkPlainStart(plain, line: line)
            if plain == "-" || plain.hasPrefix("- ") {
                throw fail(number: line, "a list item cannot start after 'key:' on the same line")
            }
            if plain.contains(": ") || plain.hasSuffix(":") {
                throw fail(number: line, "a plain scalar cannot contain ': ' (quote it)")
            }
            return BundleYAML.resolvePlain(String(plain))
        }

        /// A single- or double-quoted scalar at the start of `text`, and the text after its closing quote.
        func quoted(_ text: Substring, line: Int) throws -> (String, Substring) {
            let quote = text.first!
            var out = ""
            var i = text.index(after: text.startIndex)
            while i < text.endIndex {
                let c = text[i]
                if c == quote {
                    let next = text.index(after: i)
                    if quote == "'" && next < text.endIndex && text[next] == "'" {
                        out.append("'")
                        i = text.index(after: next)
                        continue
                    }
                    return (out, text[next...])
                }
                if quote == "\"" && c == "\\" {
                    let e = text.index(after: i)
                    guard e < text.endIndex else { break }
                    i = text.index(after: e)
                    switch text[e] {
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    case "/": out.append("/")
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "0": out.append("\u{0}")
                    case "b": out.append("\u{8}")
                    case "f": out.append("\u{C}")
                    case " ": out.append(" ")
                    case "x", "u", "U":
                        let count = text[e] == "x" ? 2 : text[e] == "u" ? 4 : 8
                        guard let end = text.index(i, offsetBy: count, limitedBy: text.endIndex),
                              let v = UInt32(text[i..<end], radix: 16), let u = Unicode.Scalar(v)
                        else { throw fail(number: line, "bad '\\\(text[e])' escape in a double-quoted scalar") }
                        out.unicodeScalars.append(u)
                        i = end
                    default:
                        throw fail(number: line, "unknown escape '\\\(text[e])' in a double-quoted scalar")
                    }
                    continue
                }
                out.append(c)
                i = text.index(after: i)
            }
            throw fail(number: line, "unterminated \(quote == "'" ? "single" : "double")-quoted scalar (multi-line scalars are not supported)")
        }
    }

    /// A plain scalar's value under YAML 1.2's core schema.
    static func resolvePlain(_ s: String) -> JSONValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let bytes = Array(s.utf8)
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        var p = 0
        if p < bytes.count, bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "+") { p += 1 }
        let body = bytes[p...]
        if body.count > 2, body.first == UInt8(ascii: "0"), s.count == body.count {
            let radixMark = body[body.startIndex + 1]
            let digits = String(decoding: body.dropFirst(2), as: UTF8.self)
            if radixMark == UInt8(ascii: "x"), let v = Int(digits, radix: 16) { return .int(v) }
            if radixMark == UInt8(ascii: "o"), let v = Int(digits, radix: 8) { return .int(v) }
        }
        if !body.isEmpty, body.allSatisfy(isDigit) {
            if let v = Int(s) { return .int(v) }
            if let v = UInt64(s.hasPrefix("+") ? String(s.dropFirst()) : s) { return .uint(v) }
            return .double(Double(s)!)
        }
        // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var q = p
        var mantissaDigits = 0
        while q < bytes.count, isDigit(bytes[q]) { q += 1; mantissaDigits += 1 }
        if q < bytes.count, bytes[q] == UInt8(ascii: ".") {
            q += 1
            while q < bytes.count, isDigit(bytes[q]) { q += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return .string(s) }
        if q < bytes.count, bytes[q] == UInt8(ascii: "e") || bytes[q] == UInt8(ascii: "E") {
            q += 1
            if q < bytes.count, bytes[q] == UInt8(ascii: "-") || bytes[q] == UInt8(ascii: "+") { q += 1 }
            let expStart = q
            while q < bytes.count, isDigit(bytes[q]) { q += 1 }
            guard q > expStart else { return .string(s) }
        }
        guard q == bytes.count else { return .string(s) }
        var text = s
        if text.hasSuffix(".") { text += "0" }
        if let d = Double(text) { return .double(d) }
        return .string(s)
    }
}

extension Substring {
    fileprivate func trimmingTrailingSpaces() -> Substring {
        var s = self
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
