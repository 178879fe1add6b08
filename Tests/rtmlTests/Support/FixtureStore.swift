import Foundation
import Testing

/// The committed fixture day ingested and featurized once per test process
/// into a blue store, with an ALS recommender and a next-category model
/// trained on it. Tests read these and copy what they change.
enum FixtureStore {
    static let dir = Workdir()

    static let fixtureDay = RTML.packageRoot.appendingPathComponent("fixtures/day-small.ndjson.gz").path

    struct Built {
        var storesDir: String
        var blue: String
        var events: String
        var jobs: String
        var recs: String
        var nextcat: String
    }

    static let built: Built = {
        let stores = dir.path("stores")
        try! FileManager.default.createDirectory(atPath: stores, withIntermediateDirectories: true)
        let blue = stores + "/blue.db"
        let events = dir.path("events.ndjson")
        let jobs = dir.path("jobs.ndjson")
        let models = dir.path("models")
        run(["ingest", fixtureDay, "-q", "-o", events], allowFindings: true)
        run(["featurize", events, "--store", blue, "--color", "blue", "-q", "-o", jobs])
        run(["train", "als", "--store", blue, "-q", "-o", models + "/recs", "--alias", "champion"])
        run(["train", "logistic", "--store", blue, "--label", "next-category", "-q", "-o", models + "/nextcat", "--alias", "champion"])
        try! "blue\n".write(toFile: stores + "/ACTIVE", atomically: true, encoding: .utf8)
        return Built(storesDir: stores, blue: blue, events: events, jobs: jobs,
                     recs: models + "/recs@champion", nextcat: models + "/nextcat@champion")
    }()

    static func run(_ args: [String], allowFindings: Bool = false) {
        let result = try! RTML.run(args)
        precondition(result.status == 0 || (allowFindings && result.status == 1),
                     "rtml \(args.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
    }

    /// sqlite3's answer to one query (trimmed).
    static func sqlite(_ db: String, _ sql: String) throws -> String {
        try RTML.shell(["sqlite3", db, sql]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
