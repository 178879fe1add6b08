import Foundation
import RTMLCore
import Testing

@Suite struct SHA256Tests {
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf") and
    // the long-message vector of FIPS 180-2 appendix B.3.
    @Test func nistVectors() {
        #expect(SHA256.hexDigest(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest(of: Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8))
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(SHA256.hexDigest(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundary (55, 56, 63, 64 bytes) change
    /// whether the length fits in the last block.
    @Test func paddingBoundaries() {
        // Digests from `printf '%*s' N | tr ' ' x | sha256sum` (coreutils).
        let xs: [Int: String] = [
            55: "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072",
            56: "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e",
            63: "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2",
            64: "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c",
            119: "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c",
        ]
        for (length, digest) in xs {
            #expect(SHA256.hexDigest(of: [UInt8](repeating: UInt8(ascii: "x"), count: length)) == digest, "length \(length)")
        }
        // Fed in two pieces split anywhere, every length gives the one-shot digest.
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            let oneShot = SHA256.hexDigest(of: message)
            for split in Set([0, 1, length / 3, length / 2, max(0, length - 1), length]) where split <= length {
                var h = SHA256()
                h.update(Array(message[0..<split]))
                h.update(Array(message[split...]))
                #expect(h.hexDigest() == oneShot, "length \(length) split at \(split)")
            }
        }
    }

    @Test func finalizeLeavesTheHasherUsable() {
        var h = SHA256()
        h.update("ab")
        _ = h.hexDigest()
        h.update("c")
        #expect(h.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aFileHashedInChunksMatchesTheOneShotDigest() throws {
        let dir = TempDir()
        var rng = Xoshiro256StarStar(seed: 7)
        let bytes = (0..<300_001).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let path = dir.write("data.bin", bytes)
        let expected = SHA256.hexDigest(of: bytes)
        for chunk in [1, 63, 64, 65, 4096, 1 << 20] where chunk != 1 || bytes.count < 400_000 {
            let (digest, size) = try SHA256.hexDigest(ofFileAtPath: path, chunkSize: chunk)
            #expect(digest == expected, "chunk \(chunk)")
            #expect(size == bytes.count)
        }
        // A known digest over a file: the million 'a's.
        let million = dir.write("a.txt", [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(try SHA256.hexDigest(ofFileAtPath: million, chunkSize: 1000).digest
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        let error = rtmlError { _ = try SHA256.hexDigest(ofFileAtPath: "/nonexistent/x.bin") }
        #expect(error?.message.hasPrefix("/nonexistent/x.bin: cannot open") == true)
    }
}
