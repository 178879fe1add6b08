import Foundation

/// The numeric inputs a linear model sees, by name, computed from a user's
/// feature row and the time of the prediction. Training and serving both
/// call `encode`, so a model is scored on exactly the inputs it was fitted on;
/// the names are the model's signature.
///
/// Names: every INTEGER/REAL feature column except `last_event_ts` (an
/// absolute time means nothing to a model); `since_last_event_min`, minutes
/// from the user's last event to the prediction time; `last_event=<event>`,
/// one-hot of the last event's type; `hour_sin` / `hour_cos`, the UTC hour
/// of the prediction time on the unit circle (people's content choices
/// follow the clock, and the circle keeps 23:00 next to 00:00).
/// A NULL feature (no value yet, e.g. a slope of fewer than two samples)
/// encodes as 0; a user with no row encodes as all zeros.
public struct ModelInputs: Sendable, Equatable {
    public let names: [String]
    private let sources: [Source]

    enum Source: Sendable, Equatable {
        case column(Int)
        case sinceLastEvent
        case lastEvent(String)
        case hourSin
        case hourCos
    }

    /// Every input rtml knows, in a fixed order: the default signature.
    public static let allNames: [String] = {
        let columns = FeatureSchema.columns.filter {
            ($0.type == .integer || $0.type == .real) && $0.name != "last_event_ts"
        }.map(\.name)
        return columns + ["since_last_event_min"] + KnownEvent.allCases.map { "last_event=\($0.rawValue)" }
            + ["hour_sin", "hour_cos"]
    }()

    public init(names: [String] = ModelInputs.allNames) throws {
        var sources: [Source] = []
        for name in names {
            if let k = FeatureSchema.index(of: name) {
                let type = FeatureSchema.columns[k].type
                guard type == .integer || type == .real else {
                    throw RTMLError("feature '\(name)' is not numeric (\(type.rawValue)); a model input must be")
                }
                sources.append(.column(k))
            } else if name == "since_last_event_min" {
                sources.append(.sinceLastEvent)
            } else if name.hasPrefix("last_event="), KnownEvent(rawValue: String(name.dropFirst(11))) != nil {
                sources.append(.lastEvent(String(name.dropFirst(11))))
            } else if name == "hour_sin" {
                sources.append(.hourSin)
            } else if name == "hour_cos" {
                sources.append(.hourCos)
            } else {
                throw RTMLError("unknown model input '\(name)' (known: \(Self.allNames.joined(separator: ", ")))")
            }
        }
        self.names = names
        self.sources = sources
    }

    private static let lastEventIndex = FeatureSchema.index(of: "last_event")!
    private static let lastEventTsIndex = FeatureSchema.index(of: "last_event_ts")!

    /// Appends one value per name to `out`.
    public func encode(_ row: FeatureRow?, at time: Int64, into out: inout [Double]) {
        let hourAngle = Self.hourAngle(time)
        for source in sources {
            switch source {
            case .column(let k): out.append(row.map { Self.number($0.values[k]) } ?? 0)
            case .sinceLastEvent:
                if let row, case .integer(let last) = row.values[Self.lastEventTsIndex] {
                    out.append(Double(time - last) / 60_000)
                } else {
                    out.append(0)
                }
            case .lastEvent(let name):
                if let row, case .text(let last) = row.values[Self.lastEventIndex] {
                    out.append(last == name ? 1 : 0)
                } else {
                    out.append(0)
                }
            case .hourSin: out.append(sin(hourAngle))
            case .hourCos: out.append(cos(hourAngle))
            }
        }
    }

    public func encode(_ row: FeatureRow?, at time: Int64) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(names.count)
        encode(row, at: time, into: &out)
        return out
    }

    /// The UTC time of day as an angle: 0 at midnight, 2π after 24 h.
    static func hourAngle(_ time: Int64) -> Double {
        let msOfDay = ((time % EventTime.msPerDay) + EventTime.msPerDay) % EventTime.msPerDay
        return 2 * Double.pi * Double(msOfDay) / Double(EventTime.msPerDay)
    }

    static func number(_ value: FeatureValue) -> Double {
        switch value {
        case .integer(let v): Double(v)
        case .real(let v): v
        default: 0
        }
    }
}
