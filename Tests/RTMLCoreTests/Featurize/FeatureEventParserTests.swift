import Testing
@testable import RTMLCore

@Suite struct FeatureEventParserTests {
    func parse(_ text: String) -> Result<FeatureEvent, Rejection> {
        var parser = FeatureEventParser()
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            do { return .success(try parser.parse(UnsafeRawBufferPointer(buffer))) } catch { return .failure(error as! Rejection) }
        }
    }

    @Test func readsEnvelopeAndProperties() throws {
        let event = try parse(#"{"messageId":"m1","type":"track","event":"content.exit","userId":"u42","timestamp":"2026-11-26T08:00:00.123Z","receivedAt":"2026-11-26T08:00:01.020Z","properties":{"contentId":"c17","category":"sleep","positionSec":42.5,"extra":[1]}}"#).get()
        #expect(event.userId == "u42")
        #expect(event.event == "content.exit")
        #expect(event.kind == .contentExit)
        #expect(event.messageId == "m1")
        #expect(event.eventTime == 1_795_680_000_123)
        #expect(event.receivedAt == 1_795_680_001_020)
        #expect(event.contentId == "c17")
        #expect(event.category == .sleep)
        #expect(event.positionSec == 42.5)
        #expect(event.durationSec == nil)
    }

    @Test func anonymousUsersAndBiometrics() throws {
        let event = try parse(#"{"messageId":"m2","event":"biometric","anonymousId":"a7","userId":null,"timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.500Z","properties":{"steps":31,"heartRate":97.5}}"#).get()
        #expect(event.userId == "a7")
        #expect(event.steps == 31 && event.heartRate == 97.5)
    }

    @Test func searchQueryWithEscapes() throws {
        let event = try parse(#"{"messageId":"m3","event":"search","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.000Z","properties":{"query":"big \"exam\" \u00e9"}}"#).get()
        #expect(event.query == "big \"exam\" é")
    }

    @Test func rawEventsAreRefusedAsNotCanonical() {
        let raw = parse(#"{"messageId":"m","event":"search","userId":"u","timestamp":"2026-11-26T09:00:00.000+01:00","receivedAt":"2026-11-26T08:00:00.000Z"}"#)
        #expect((try? raw.get()) == nil)
        if case .failure(let rejection) = raw { #expect(rejection.reason == .notCanonical) }
        let noId = parse(#"{"event":"search","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.000Z"}"#)
        if case .failure(let rejection) = noId { #expect(rejection.reason == .notCanonical) } else { Issue.record("accepted a line without messageId") }
        let broken = parse(#"{"event":"#)
        if case .failure(let rejection) = broken { #expect(rejection.reason == .invalidJSON) } else { Issue.record("accepted broken JSON") }
    }

    @Test func wrongPropertyTypesAreIgnoredAndCounted() throws {
        var parser = FeatureEventParser()
        var bytes = Array(#"{"messageId":"m","event":"content.start","userId":"u","timestamp":"2026-11-26T08:00:00.000Z","receivedAt":"2026-11-26T08:00:00.000Z","properties":{"category":5,"contentId":"c1","durationSec":"long"}}"#.utf8)
        let event = try bytes.withUnsafeMutableBytes { try parser.parse(UnsafeRawBufferPointer($0)) }
        #expect(event.category == nil && event.durationSec == nil && event.contentId == "c1")
        #expect(parser.ignoredProperties == 2)
    }
}
