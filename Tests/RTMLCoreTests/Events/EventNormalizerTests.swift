import Foundation
import Testing
@testable import RTMLCore

/// Runs the normalizer on one line: the canonical line, or the rejection.
func normalize(_ text: String, receivedAt: ReceivedAtDefault = .timestamp) -> (line: String?, rejection: Rejection?, accepted: EventNormalizer.Accepted?) {
    var normalizer = EventNormalizer(receivedAtDefault: receivedAt)
    let dir = TempDir()
    let path = dir.path("out")
    var bytes = Array(text.utf8)
    do {
        let accepted = try bytes.withUnsafeMutableBytes { buffer -> EventNormalizer.Accepted in
            let result = try normalizer.normalize(UnsafeRawBufferPointer(buffer))
            let writer = try! OutputWriter(path: path)
            try! normalizer.writeCanonical(to: writer)
            try! writer.close()
            return result
        }
        let out = try! String(contentsOfFile: path, encoding: .utf8)
        return (String(out.dropLast()), nil, accepted)
    } catch let rejection as Rejection {
        return (nil, rejection, nil)
    } catch {
        Issue.record("unexpected \(error)")
        return (nil, nil, nil)
    }
}

func object(_ line: String?) -> [String: Any] {
    guard let line, let data = line.data(using: .utf8),
          let value = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return value
}

@Suite struct EventNormalizerTests {
    let canonical = #"{"messageId":"m1","type":"track","event":"content.start","userId":"u42","timestamp":"2026-11-26T08:00:00.123Z","receivedAt":"2026-11-26T08:00:01.020Z","properties":{"contentId":"c17","category":"sleep","durationSec":600}}"#

    @Test func canonicalLineIsCopiedByteForByte() {
        let result = normalize(canonical)
        #expect(result.line == canonical)
        #expect(result.accepted?.eventTime == 1_795_680_000_123)
        #expect(result.accepted?.receivedAt == 1_795_680_001_020)
        #expect(result.accepted?.event == .contentStart)
        #expect(normalize("  " + canonical + " \t").line == canonical)
    }

    @Test func offsetsAndEpochsBecomeUTCMilliseconds() {
        let offset = normalize(#"{"messageId":"m","event":"search","userId":"u","timestamp":"2026-11-26T09:00:00.123+01:00","receivedAt":1795680001020,"properties":{"query":"big exam"}}"#)
        #expect(offset.line == #"{"messageId":"m","event":"search","userId":"u","timestamp":"2026-11-26T08:00:00.123Z","receivedAt":"2026-11-26T08:00:01.020Z","properties":{"query":"big exam"}}"#)
        let seconds = normalize(#"{"messageId":"m","event":"x","anonymousId":"a1","timestamp":1795680000}"#)
        #expect(object(seconds.line)["timestamp"] as? String == "2026-11-26T08:00:00.000Z")
        #expect(object(seconds.line)["receivedAt"] as? String == "2026-11-26T08:00:00.000Z")
        #expect(seconds.accepted?.event == nil)
    }

    @Test func segmentClockSkewCorrection() {
        // Device clock 1 h fast: sentAt - originalTimestamp = 2 s of real time.
        let result = normalize(#"{"messageId":"m","event":"app.open","userId":"u","originalTimestamp":"2026-11-26T09:00:00.000Z","sentAt":"2026-11-26T09:00:02.000Z","receivedAt":"2026-11-26T08:00:03.000Z"}"#)
        #expect(object(result.line)["timestamp"] as? String == "2026-11-26T08:00:01.000Z")
        #expect(object(result.line)["originalTimestamp"] as? String == "2026-11-26T09:00:00.000Z")
        let noSentAt = normalize(#"{"messageId":"m","event":"app.open","userId":"u","originalTimestamp":"2026-11-26T09:00:00.000Z"}"#)
        #expect(object(noSentAt.line)["timestamp"] as? String == "2026-11-26T09:00:00.000Z")
    }

    @Test func unknownFieldsAndOrderAreKept() {
        let result = normalize(#"{"zeta":[1,{"a":null}],"event":"custom.thing","userId":"u","context":{"ip":"1.2.3.4"},"timestamp":"2026-11-26T08:00:00Z"}"#)
        let line = result.line ?? ""
        #expect(line.hasPrefix(#"{"zeta":[1,{"a":null}],"event":"custom.thing","userId":"u","context":{"ip":"1.2.3.4"},"timestamp":"2026-11-26T08:00:00.000Z","messageId":"rtml-"#))
        #expect(line.hasSuffix(#","receivedAt":"2026-11-26T08:00:00.000Z"}"#))
    }

    @Test func derivedMessageIdIgnoresReceiverStamps() {
        let a = normalize(#"{"event":"search","userId":"u","timestamp":"2026-11-26T08:00:00Z","sentAt":"2026-11-26T08:00:01Z","receivedAt":"2026-11-26T08:00:02Z"}"#)
        let b = normalize(#"{"event":"search","userId":"u","timestamp":"2026-11-26T08:00:00Z","sentAt":"2026-11-26T08:05:01Z","receivedAt":"2026-11-26T08:05:02Z"}"#)
        let c = normalize(#"{"event":"search","userId":"v","timestamp":"2026-11-26T08:00:00Z"}"#)
        #expect(a.accepted!.dedupeKey == b.accepted!.dedupeKey)
        #expect(a.accepted!.dedupeKey != c.accepted!.dedupeKey)
        let id = object(a.line)["messageId"] as? String ?? ""
        #expect(id.hasPrefix("rtml-") && id.count == 37)
        // Re-ingesting the output keeps the id and the key.
        let again = normalize(a.line!)
        #expect(again.line == a.line)
        #expect(again.accepted!.dedupeKey == a.accepted!.dedupeKey)
    }

    @Test func escapedKeysAreRecognised() {
        let result = normalize(#"{"messageId":"m","\u0065vent":"search","userId":"u","timestamp":"2026-11-26T08:00:00Z"}"#)
        #expect(result.rejection == nil)
        let dup = normalize(#"{"messageId":"m","event":"a","\u0065vent":"b","userId":"u","timestamp":"2026-11-26T08:00:00Z"}"#)
        #expect(dup.rejection?.reason == .duplicateKey)
    }

    @Test(arguments: [
        (#"{"messageId":"m","userId":"u","timestamp":"2026-11-26T08:00:00Z"}"#, RejectReason.missingEvent),
        (#"{"messageId":"m","event":"","userId":"u","timestamp":"2026-11-26T08:00:00Z"}"#, .missingEvent),
        (#"{"messageId":"m","event":"x","timestamp":"2026-11-26T08:00:00Z"}"#, .missingUser),
        (#"{"messageId":"m","event":"x","userId":null,"anonymousId":"","timestamp":"2026-11-26T08:00:00Z"}"#, .missingUser),
        (#"{"messageId":"m","event":"x","userId":42,"timestamp":"2026-11-26T08:00:00Z"}"#, .wrongType),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":true}"#, .wrongType),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00Z","properties":"sleep"}"#, .wrongType),
        (#"{"messageId":7,"event":"x","userId":"u","timestamp":"2026-11-26T08:00:00Z"}"#, .wrongType),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":"26/11/2026"}"#, .badTimestamp),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":"2026-02-30T08:00:00Z"}"#, .badTimestamp),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00Z","receivedAt":"soon"}"#, .badTimestamp),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":-5}"#, .badTimestamp),
        (#"{"messageId":"m","event":"x","userId":"u"}"#, .missingTimestamp),
        (#"{"messageId":"m","event":"x","userId":"u","userId":"v","timestamp":"2026-11-26T08:00:00Z"}"#, .duplicateKey),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":"2026-11-26T08:00:00Z",}"#, .invalidJSON),
        (#"{"messageId":"m","event":"x","userId":"u","timestamp":"2026-11-26T08:00"#, .invalidJSON),
        (#"["event","x"]"#, .notAnObject),
        (#"42"#, .notAnObject),
    ])
    func rejections(line: String, reason: RejectReason) {
        let result = normalize(line)
        #expect(result.rejection?.reason == reason, "\(line)")
        #expect(result.line == nil)
    }

    @Test func rejectionDetailQuotesTheValue() {
        let result = normalize(#"{"messageId":"m","event":"x","userId":"u","timestamp":"26/11/2026"}"#)
        #expect(result.rejection?.detail == #"timestamp "26/11/2026" is not RFC 3339 or epoch time"#)
        let wrong = normalize(#"{"messageId":"m","event":"x","userId":{"id":1},"timestamp":"2026-11-26T08:00:00Z"}"#)
        #expect(wrong.rejection?.detail == #""userId" is an object, not a string"#)
    }

    @Test func invalidUTF8IsItsOwnReason() {
        var bytes = Array(#"{"messageId":"m","event":"x","userId":"u"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#"","timestamp":"2026-11-26T08:00:00Z"}"#.utf8)
        // Raw bytes: a String would repair them.
        var normalizer = EventNormalizer()
        let reason: RejectReason? = bytes.withUnsafeBytes { buffer -> RejectReason? in
            do {
                _ = try normalizer.normalize(buffer)
                return nil
            } catch {
                return (error as? Rejection)?.reason
            }
        }
        #expect(reason == .invalidUTF8)
    }

    @Test func receivedAtDefaults() {
        let line = #"{"messageId":"m","event":"x","userId":"u","timestamp":"2020-01-01T00:00:00Z"}"#
        let stamped = normalize(line, receivedAt: .timestamp)
        #expect(object(stamped.line)["receivedAt"] as? String == "2020-01-01T00:00:00.000Z")
        let now = normalize(line, receivedAt: .now)
        let nowMillis = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(abs(now.accepted!.receivedAt - nowMillis) < 60_000)
    }
}

/// Calls the mutating check outside the #expect macro, which cannot mutate.
func dup(_ d: inout Deduplicator, _ key: Hash128, eventTime: Int64) -> Bool {
    d.isDuplicate(key, eventTime: eventTime)
}

@Suite struct DeduplicatorTests {
    @Test func remembersWithinWindow() {
        var d = Deduplicator(windowMillis: 1000, capacity: 100)
        let a = Hash128("a"), b = Hash128("b")
        #expect(!dup(&d, a, eventTime: 0))
        #expect(dup(&d, a, eventTime: 0))
        #expect(!dup(&d, b, eventTime: 500))
        #expect(dup(&d, a, eventTime: 900))
        // Event time moves past a's horizon: a is forgotten, b (500) still held.
        #expect(!dup(&d, Hash128("c"), eventTime: 1400))
        #expect(!dup(&d, a, eventTime: 0))
        #expect(dup(&d, b, eventTime: 500))
    }

    @Test func capacityBoundsMemory() {
        var d = Deduplicator(windowMillis: 1_000_000, capacity: 3)
        for i in 0..<10 { #expect(!dup(&d, Hash128("k\(i)"), eventTime: Int64(i))) }
        #expect(d.count == 3)
        #expect(d.evictedForCapacity == 7)
        #expect(dup(&d, Hash128("k9"), eventTime: 9))
        #expect(!dup(&d, Hash128("k0"), eventTime: 0))
    }

    @Test func tableAgreesWithSetUnderCollisionsAndRemovals() {
        // Keys sharing low bits probe into each other's runs and wrap around
        // the table's end; backward-shift deletion must keep every run findable.
        var table = HashSet128(minimumCapacity: 8)
        var model = Set<Hash128>()
        var state: UInt64 = 12345
        for step in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = Hash128(high: state >> 60, low: (state >> 33) & 0x3F | ((state >> 62) << 40))
            if state & 3 == 0, let victim = model.first {
                table.remove(victim)
                model.remove(victim)
            } else if !model.contains(key) {
                table.insert(key)
                model.insert(key)
            }
            if step % 97 == 0 {
                for probe in model { #expect(table.contains(probe)) }
            }
            #expect(table.count == model.count)
        }
        #expect(!table.contains(Hash128(high: 99, low: 99)))
        table.insert(Hash128(high: 0, low: 0))
        #expect(table.contains(Hash128(high: 0, low: 0)))
    }

    @Test func hashIsStableAndSpreads() {
        // Pinned: derived message ids are output, so the hash must not change.
        #expect(Hash128("m-81f2").hex == "ad16da88de7dc3974741065fa3b0207e")
        #expect(Hash128("").hex.count == 32)
        var seen = Set<Hash128>()
        for i in 0..<100_000 { seen.insert(Hash128("m-\(i)")) }
        #expect(seen.count == 100_000)
        #expect(Hash128("abcdefgh") != Hash128("abcdefgh\u{0}"))
    }
}
