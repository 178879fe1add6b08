import Foundation
@testable import RTMLCore

/// Builders for hand-made events and a simulated stream, shared by the feature tests.
enum FT {
    static let minute: Int64 = 60_000
    /// 2026-11-26T12:00:00Z
    static let noon: Int64 = 1_795_694_400_000

    static func event(
        _ user: String = "u1", _ name: String, at t: Int64, received: Int64? = nil,
        category: ContentCategory? = nil, position: Double? = nil, query: String? = nil,
        steps: Double? = nil, heartRate: Double? = nil
    ) -> FeatureEvent {
        var e = FeatureEvent(userId: user, event: name, eventTime: t, receivedAt: received ?? t, messageId: "m\(t)")
        e.category = category
        e.positionSec = position
        e.query = query
        e.steps = steps
        e.heartRate = heartRate
        return e
    }

    static func engine(_ configure: (inout FeatureConfig) -> Void = { _ in }) -> FeatureEngine {
        var config = FeatureConfig()
        configure(&config)
        return FeatureEngine(config: config, embeddings: .hashing(dimensions: config.embeddingDimensions))
    }

    static func history(_ outcome: FeatureEngine.Outcome) -> FeatureRow? {
        if case .accepted(let row, _) = outcome { return row.featureRow }
        return nil
    }

    static func trigger(_ outcome: FeatureEngine.Outcome) -> String? {
        if case .accepted(_, let trigger) = outcome { return trigger }
        return nil
    }

    static func isLate(_ outcome: FeatureEngine.Outcome) -> Bool {
        if case .late = outcome { return true }
        return false
    }

    // The engine hands over packed rows; the checks read them as `FeatureRow`s.
    static func value(_ row: PackedFeatureRow?, _ column: String) -> FeatureValue { value(row?.featureRow, column) }
    static func real(_ row: PackedFeatureRow?, _ column: String) -> Double? { real(row?.featureRow, column) }
    static func int(_ row: PackedFeatureRow?, _ column: String) -> Int64? { int(row?.featureRow, column) }
    static func vector(_ row: PackedFeatureRow?) -> [Float]? { vector(row?.featureRow) }

    static func value(_ row: FeatureRow?, _ column: String) -> FeatureValue {
        guard let row, let i = FeatureSchema.index(of: column) else { return .null }
        return row.values[i]
    }

    static func real(_ row: FeatureRow?, _ column: String) -> Double? {
        if case .real(let v) = value(row, column) { return v }
        return nil
    }

    static func int(_ row: FeatureRow?, _ column: String) -> Int64? {
        if case .integer(let v) = value(row, column) { return v }
        return nil
    }

    static func vector(_ row: FeatureRow?) -> [Float]? {
        if case .vector(let v) = value(row, "search_embedding") { return v }
        return nil
    }

    /// A simulated day as FeatureEvents in arrival order (duplicates and late deliveries included).
    static func simulated(users: Int, seed: UInt64, lateRate: Double = 0.02, duplicateRate: Double = 0.01) -> [FeatureEvent] {
        let config = try! SimulationConfig(users: users, seed: seed, duplicateRate: duplicateRate, lateRate: lateRate)
        let (bytes, _) = SimulatedDay.generate(config)
        return SimulatedDay.lines(bytes).enumerated().compactMap { index, line in
            guard let p = SimulatedDay.parse(Data(line), line: index + 1) else { return nil }
            var e = FeatureEvent(userId: p.entity, event: p.event, eventTime: p.eventTime,
                                 receivedAt: p.receivedAt, messageId: p.messageId ?? "line\(index)")
            let props = p.properties
            e.contentId = props["contentId"] as? String
            e.category = (props["category"] as? String).flatMap(ContentCategory.init(name:))
            e.durationSec = (props["durationSec"] as? NSNumber)?.doubleValue
            e.positionSec = (props["positionSec"] as? NSNumber)?.doubleValue
            e.rating = (props["rating"] as? NSNumber)?.doubleValue
            e.query = props["query"] as? String
            e.steps = (props["steps"] as? NSNumber)?.doubleValue
            e.heartRate = (props["heartRate"] as? NSNumber)?.doubleValue
            return e
        }
    }

    /// Everything an engine hands out, gathered for comparison.
    struct Outputs: Equatable {
        var outcomes: [String] = []
        var windows: [WindowCount] = []
        /// The last online row reported per user.
        var online: [String: FeatureRow] = [:]

        mutating func record(_ outcome: FeatureEngine.Outcome) {
            switch outcome {
            case .late(let w): outcomes.append("late \(w)")
            case .accepted(let row, let trigger): outcomes.append("\(describe(row.featureRow)) trigger=\(trigger ?? "-")")
            }
        }

        /// A short description of the first difference, nil when equal.
        func difference(from other: Outputs) -> String? {
            if let i = outcomes.indices.first(where: { $0 < other.outcomes.count && outcomes[$0] != other.outcomes[$0] }) {
                return "outcome \(i): \(outcomes[i]) vs \(other.outcomes[i])"
            }
            if outcomes.count != other.outcomes.count { return "\(outcomes.count) outcomes vs \(other.outcomes.count)" }
            if let i = windows.indices.first(where: { $0 < other.windows.count && windows[$0] != other.windows[$0] }) {
                return "window \(i): \(windows[i]) vs \(other.windows[i])"
            }
            if windows.count != other.windows.count { return "\(windows.count) windows vs \(other.windows.count)" }
            for (user, row) in online where other.online[user] != row {
                return "online row of \(user): \(describe(row)) vs \(other.online[user].map(describe) ?? "none")"
            }
            if online.count != other.online.count { return "\(online.count) online rows vs \(other.online.count)" }
            return nil
        }

        mutating func drain(_ engine: FeatureEngine) {
            windows += engine.takeFinalWindows()
            for row in engine.takeChangedOnlineRows() { online[row.userId] = row.featureRow }
        }
    }

    /// Values with exact bit patterns, so a comparison catches any difference.
    static func describe(_ row: FeatureRow) -> String {
        var parts = ["\(row.userId)@\(row.eventTs)/\(row.updatedAt)"]
        for v in row.values {
            switch v {
            case .null: parts.append("null")
            case .integer(let i): parts.append("\(i)")
            case .real(let d): parts.append("r\(d.bitPattern)")
            case .text(let s): parts.append("'\(s)'")
            case .vector(let f): parts.append("v\(f.map(\.bitPattern))")
            }
        }
        return parts.joined(separator: " ")
    }
}

/// What the driver keeps in SQLite: user states and open windows, updated from the dirty lists.
struct CheckpointStore {
    var global: [UInt8] = []
    var users: [String: [UInt8]] = [:]
    var windows: [String: (userId: String, event: String, windowStart: Int64, count: Int64)] = [:]

    /// featurize's way: open windows inside the user states (`takeDirtyUserCheckpoints`).
    var windowsInStates = false

    mutating func commit(_ engine: FeatureEngine) {
        global = engine.encodeGlobalState()
        if windowsInStates {
            engine.tracksDirtyWindows = false
            for (id, state) in engine.takeDirtyUserCheckpoints() { users[id] = state }
            return
        }
        for (id, state) in engine.takeDirtyUserStates() { users[id] = state }
        for w in engine.takeDirtyWindows() {
            let key = "\(w.userId)\u{0}\(w.event)\u{0}\(w.windowStart)"
            if let count = w.count { windows[key] = (w.userId, w.event, w.windowStart, count) } else { windows[key] = nil }
        }
    }

    func restore(config: FeatureConfig = FeatureConfig(), embeddings: TermEmbeddings? = nil) throws -> FeatureEngine {
        let engine = try FeatureEngine.restore(
            config: config, embeddings: embeddings ?? .hashing(dimensions: config.embeddingDimensions),
            global: global, users: users.map { ($0.key, $0.value) }, windows: Array(windows.values))
        if windowsInStates { engine.tracksDirtyWindows = false }
        return engine
    }
}
