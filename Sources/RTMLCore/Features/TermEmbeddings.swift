import Foundation

/// Term vectors for search queries: the hashing trick, or learned vectors
/// loaded from a TSV file (`--embeddings FILE`).
///
/// A query's vector is the mean of the vectors of its terms (see
/// `QueryTerms`), every occurrence counted; terms without a vector are
/// ignored, and a query with no known term has no vector.
///
/// Hashing trick: a term's vector has one non-zero coordinate. With
/// `h = Hash128(utf8 bytes of the lowercased term, seed: 0)`, the coordinate
/// is `h.low % dimensions` and its value is +1 when `h.high` is even, -1 when odd.
public struct TermEmbeddings: Sendable {
    public let dimensions: Int
    /// Identifies the vectors, so a checkpoint is never resumed with others.
    public let fingerprint: Hash128
    /// Where learned vectors came from; nil for the hashing trick.
    public let source: String?
    let vocabulary: [String: Int]
    let vectors: [Float]

    public var isHashing: Bool { source == nil }
    public var termCount: Int { vocabulary.count }

    init(dimensions: Int, fingerprint: Hash128, source: String?, vocabulary: [String: Int], vectors: [Float]) {
        self.dimensions = dimensions
        self.fingerprint = fingerprint
        self.source = source
        self.vocabulary = vocabulary
        self.vectors = vectors
    }

    /// The hashing trick with `dimensions` coordinates.
    public static func hashing(dimensions: Int) -> TermEmbeddings {
        precondition(dimensions > 0, "the hashing embedding needs at least one dimension")
        return TermEmbeddings(
            dimensions: dimensions, fingerprint: Hash128("hashing-trick/\(dimensions)"),
            source: nil, vocabulary: [:], vectors: [])
    }

    /// The coordinate and sign of a term under the hashing trick.
    @inline(__always)
    public static func hashedCoordinate(_ term: UnsafeRawBufferPointer, dimensions: Int) -> (index: Int, sign: Double) {
        let h = Hash128(term, seed: 0)
        return (Int(h.low % UInt64(dimensions)), h.high & 1 == 0 ? 1 : -1)
    }

    /// The vector of one text: the mean of its terms' vectors, or nil when no term has one.
    public func embed(_ text: String) -> [Float]? {
        var sum = [Double](repeating: 0, count: dimensions)
        var terms = 0
        QueryTerms.forEach(in: text) { term in
            if isHashing {
                let (index, sign) = Self.hashedCoordinate(term, dimensions: dimensions)
                sum[index] += sign
                terms += 1
            } else if let row = vocabulary[String(decoding: term, as: UTF8.self)] {
                let base = row * dimensions
                for i in 0..<dimensions { sum[i] += Double(vectors[base + i]) }
                terms += 1
            }
        }
        guard terms > 0 else { return nil }
        let n = Double(terms)
        return sum.map { Float($0 / n) }
    }

    /// The learned vector of one term (already lowercased), if the file has it.
    public func vector(ofTerm term: String) -> [Float]? {
        guard let row = vocabulary[term] else { return nil }
        return Array(vectors[(row * dimensions)..<((row + 1) * dimensions)])
    }

    // MARK: Loading

    /// Loads learned term vectors from a TSV file.
    ///
    /// Format: one term per line, `term<TAB>v1<TAB>v2...` (decimal numbers,
    /// every row the same count); blank lines and lines starting with `#` are
    /// skipped; CRLF is accepted. A term is lowercased like query terms and
    /// must be one term (letters and digits only). A bad row is an error
    /// naming `file:line`.
    public static func load(path: String) throws -> TermEmbeddings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RTMLError("\(path): cannot read the embeddings file")
        }
        return try parse([UInt8](data), source: path)
    }

    /// Parses the TSV text of `load(path:)`; `source` names it in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws -> TermEmbeddings {
        var vocabulary: [String: Int] = [:]
        var definedOn: [Int] = []
        var vectors: [Float] = []
        var canonical: [UInt8] = []
        var dimensions = 0
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) || line.first == 0x23 { continue }
            func fail(_ why: String) -> RTMLError { RTMLError("\(source):\(lineNumber): \(why)") }
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard let rawTerm = String(validatingUTF8Bytes: fields[0]) else { throw fail("the term is not valid UTF-8") }
            let terms = QueryTerms.split(rawTerm)
            guard terms.count == 1 else {
                throw fail("\"\(rawTerm)\" is not a single term (letters and digits only, as queries are split)")
            }
            let term = terms[0]
            let values = fields.dropFirst()
            guard !values.isEmpty else { throw fail("term \"\(term)\" has no values (expected term<TAB>v1<TAB>v2...)") }
            if dimensions == 0 {
                dimensions = values.count
            } else if values.count != dimensions {
                throw fail("term \"\(term)\" has \(values.count) values, but the rows before have \(dimensions)")
            }
            if let first = vocabulary[term] {
                throw fail("term \"\(term)\" is already defined on line \(definedOn[first])")
            }
            vocabulary[term] = definedOn.count
            definedOn.append(lineNumber)
            canonical.append(contentsOf: term.utf8)
            canonical.append(0)
            for (k, field) in values.enumerated() {
                let text = String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard let value = Float(text), value.isFinite else {
                    throw fail("value \(k + 1) of term \"\(term)\" is not a finite number: \"\(text)\"")
                }
                vectors.append(value)
                withUnsafeBytes(of: value.bitPattern.littleEndian) { canonical.append(contentsOf: $0) }
            }
        }
        guard dimensions > 0 else {
            throw RTMLError("\(source): no term vectors (expected lines term<TAB>v1<TAB>v2...)")
        }
        let fingerprint = canonical.withUnsafeBytes { Hash128($0, seed: UInt64(dimensions)) }
        return TermEmbeddings(dimensions: dimensions, fingerprint: fingerprint, source: source,
                              vocabulary: vocabulary, vectors: vectors)
    }
}

extension String {
    init?(validatingUTF8Bytes bytes: ArraySlice<UInt8>) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var valid = true
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: valid = false; break loop
            }
        }
        guard valid else { return nil }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
