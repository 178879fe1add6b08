import Foundation
import Testing
@testable import RTMLCore

@Suite("Features: search embedding and affinity")
struct SearchEmbeddingTests {
    let m = FT.minute
    let t0 = FT.noon

    /// sleep (1,0), focus (0,1), run (-1,0): sleep, focus and move have a
    /// seed vector; meditate and stress have none.
    static let tiny = try! TermEmbeddings.parse(Array("# tiny\nsleep\t1\t0\nfocus\t0\t1\r\n\nRun\t-1\t0\n".utf8), source: "tiny.tsv")

    func engine() -> FeatureEngine {
        FeatureEngine(config: FeatureConfig(), embeddings: Self.tiny)
    }

    @Test func termsAreLowercasedRunsOfLettersAndDigits() {
        #expect(QueryTerms.split("Can't SLEEP!! 10 minutes") == ["can", "t", "sleep", "10", "minutes"])
        #expect(QueryTerms.split("Café ÜBER-naïve_x") == ["café", "über", "naïve", "x"])
        #expect(QueryTerms.split("  ,;  ") == [])
        #expect(QueryTerms.split("日本語テキスト ٣٤") == ["日本語テキスト", "٣٤"])
    }

    @Test func hashingTrickPutsEachTermOnOneSignedCoordinate() {
        let embeddings = TermEmbeddings.hashing(dimensions: 64)
        let v = embeddings.embed("Sleep sleep")!
        let (index, sign) = "sleep".utf8CString.dropLast().withUnsafeBytes {
            TermEmbeddings.hashedCoordinate($0, dimensions: 64)
        }
        #expect(v.count == 64)
        #expect(v[index] == Float(sign))
        #expect(v.enumerated().allSatisfy { $0.offset == index || $0.element == 0 })
        // The method is part of the output: pin it (Hash128 of the UTF-8 bytes, seed 0).
        let h = Hash128("sleep")
        #expect(index == Int(h.low % 64))
        #expect(sign == (h.high & 1 == 0 ? 1 : -1))
        #expect(embeddings.embed("?!") == nil)
        let two = embeddings.embed("deep focus")!
        #expect(abs(two.reduce(0) { $0 + abs($1) } - 1) < 1e-6 || two.contains(1) || two.contains(-1))
    }

    @Test func embeddingIsTheMeanOfRecentQueryVectors() {
        let engine = engine()
        let first = FT.history(engine.process(FT.event("u1", "search", at: t0, query: "Sleep focus")))
        #expect(FT.vector(first) == [0.5, 0.5])
        #expect(abs(FT.real(first, "search_affinity_sleep")! - 0.5.squareRoot()) < 1e-12)
        #expect(abs(FT.real(first, "search_affinity_focus")! - 0.5.squareRoot()) < 1e-12)
        #expect(abs(FT.real(first, "search_affinity_move")! + 0.5.squareRoot()) < 1e-12)
        #expect(FT.value(first, "search_affinity_meditate") == .null, "no seed term has a vector")
        // Unknown terms are ignored: "sleep sleep zzz" is (1, 0).
        let second = FT.history(engine.process(FT.event("u1", "search", at: t0 + 10 * m, query: "sleep sleep zzz")))
        #expect(FT.vector(second) == [0.75, 0.25])
        #expect(abs(FT.real(second, "search_affinity_sleep")! - 0.75 / 0.625.squareRoot()) < 1e-12)
        // A query with no known term adds nothing.
        let third = FT.history(engine.process(FT.event("u1", "search", at: t0 + 11 * m, query: "zzz")))
        #expect(FT.vector(third) == [0.75, 0.25])
        // (t - 30m, t]: at 12:30 the 12:00 search has left.
        let later = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 30 * m)))
        #expect(FT.vector(later) == [1, 0])
        let gone = FT.history(engine.process(FT.event("u1", "app.open", at: t0 + 40 * m)))
        #expect(FT.value(gone, "search_embedding") == .null)
        #expect(FT.value(gone, "search_affinity_sleep") == .null)
    }

    @Test func onlyUnknownTermsMeansNoEmbedding() {
        let row = FT.history(engine().process(FT.event("u1", "search", at: t0, query: "zzz yyy")))
        #expect(FT.value(row, "search_embedding") == .null)
    }

    @Test func hashingAffinityIsTheCosineWithTheSeedEmbedding() {
        let embeddings = TermEmbeddings.hashing(dimensions: 64)
        let engine = FeatureEngine(config: FeatureConfig(), embeddings: embeddings)
        let row = FT.history(engine.process(FT.event("u1", "search", at: t0, query: "insomnia at night")))
        let e = embeddings.embed("insomnia at night")!.map(Double.init)
        for category in ContentCategory.allCases {
            let c = embeddings.embed(CategorySeeds.terms(category).joined(separator: " "))!.map(Double.init)
            let dot = zip(e, c).map(*).reduce(0, +)
            let cosine = dot / (e.map { $0 * $0 }.reduce(0, +).squareRoot() * c.map { $0 * $0 }.reduce(0, +).squareRoot())
            #expect(abs(FT.real(row, "search_affinity_\(category.name)")! - cosine) < 1e-12)
        }
        #expect(FT.real(row, "search_affinity_sleep")! > 0.3, "insomnia and night are sleep seeds")
    }

    @Test func loaderReportsTheFileAndLineOfABadRow() {
        func error(_ text: String) -> String {
            do {
                _ = try TermEmbeddings.parse(Array(text.utf8), source: "vec.tsv")
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(error("a\t1\t2\nb\t1\n") == "vec.tsv:2: term \"b\" has 1 values, but the rows before have 2")
        #expect(error("# c\na\t1\tx\n") == "vec.tsv:2: value 2 of term \"a\" is not a finite number: \"x\"")
        #expect(error("a\t1\na\t2\n") == "vec.tsv:2: term \"a\" is already defined on line 1")
        #expect(error("a b\t1\n") == "vec.tsv:1: \"a b\" is not a single term (letters and digits only, as queries are split)")
        #expect(error("a\n") == "vec.tsv:1: term \"a\" has no values (expected term<TAB>v1<TAB>v2...)")
        #expect(error("a\tnan\n").hasPrefix("vec.tsv:1: value 1"))
        #expect(error("# only a comment\n") == "vec.tsv: no term vectors (expected lines term<TAB>v1<TAB>v2...)")
    }

    @Test func loadReadsAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-vec-\(getpid()).tsv").path
        try "sleep\t0.5\t-1.25\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let e = try TermEmbeddings.load(path: path)
        #expect(e.dimensions == 2)
        #expect(e.vector(ofTerm: "sleep") == [0.5, -1.25])
        #expect(e.source == path)
        #expect(throws: RTMLError.self) { try TermEmbeddings.load(path: path + ".missing") }
    }
}
