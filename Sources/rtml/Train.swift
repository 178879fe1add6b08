import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train a model from a feature store or a table of rows; export it as a bundle in a registry.",
            discussion: """
            Linear models (elasticnet, logistic) learn from examples: from a store, one per \
            anchor event (by default the events that trigger prediction jobs), with inputs from \
            feature_history as of the event's time (point-in-time correct: never a later row) \
            and a label from the user's later events within --horizon; or from --data, any \
            CSV/NDJSON table. ALS learns user x content preferences from the store's events, \
            indexed by its sequence ids. Rows are split by time (--split-at or the latest \
            --test-fraction), never at random, and the model is scored on the later rows beside \
            a baseline it has to beat.

            With -o models/NAME the model is registered as the next version of NAME (an MLflow \
            style bundle: MLmodel, model.json, metrics.json, weight files with sha256); \
            --alias champion points an alias at it. The summary goes to stderr; stdout gets one \
            JSON line with the bundle's path, version and metrics. docs/models.md has the details.

            Examples:
              rtml train als --store stores/green.db --factors 32 -o models/recs --alias champion
              rtml train logistic --store stores/green.db --label next-category --horizon 1h -o models/nextcat
              rtml train elasticnet --data rows.csv --target y --alpha 0.1 --l1-ratio 0.5
              rtml train list models/recs
            """,
            subcommands: [ElasticNetCommand.self, LogisticCommand.self, ALSCommand.self, ListCommand.self]
        )
    }
}

/// Where training rows come from, and how they are split (elasticnet, logistic).
struct TrainDataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Build examples from this feature store, or a store set (every shard; the same rows as one store).", valueName: "file|dir"))
    var store: String?

    @Option(help: ArgumentHelp("Learn from this table instead (CSV with a header, or NDJSON; gzip allowed).", valueName: "file"))
    var data: String?

    @Option(help: ArgumentHelp("With --store: what to predict, \(LabelSpec.syntax).", valueName: "spec"))
    var label: String?

    @Option(help: ArgumentHelp("With --store: how far ahead the label looks.", valueName: "duration"))
    var horizon = "1h"

    @Option(help: ArgumentHelp("With --store: the event types an example is taken at (comma-separated).", valueName: "events"))
    var anchors = StoreExamples.defaultAnchors.joined(separator: ",")

    @Option(help: ArgumentHelp("With --data: the column to predict.", valueName: "column"))
    var target: String?

    @Option(help: ArgumentHelp("The inputs, comma-separated (default: with --store every input in docs/models.md; with --data every numeric column but the target).", valueName: "names"))
    var features: String?

    @Option(name: .customLong("time-column"), help: ArgumentHelp("With --data: a column with each row's time (epoch ms or RFC 3339) for the split; default: file order.", valueName: "column"))
    var timeColumn: String?

    @OptionGroup var split: SplitOptions

    @Option(name: .customLong("export-rows"), help: ArgumentHelp("Write the exact training and test rows used, as NDJSON.", valueName: "file"))
    var exportRows: String?

    @Flag(inversion: .prefixedNo, help: "Centre and scale inputs before the fit (coefficients are exported for raw inputs). Default: on with --store, off with --data (so a fit matches scikit-learn on the same table).")
    var standardize: Bool?

    func validate() throws {
        guard (store == nil) != (data == nil) else { throw ValidationError("give exactly one of --store and --data") }
        if store != nil, label == nil { throw ValidationError("--store needs --label (\(LabelSpec.syntax))") }
        if data != nil, target == nil { throw ValidationError("--data needs --target COLUMN") }
        if data != nil, label != nil { throw ValidationError("--label is for --store; with --data name the column with --target") }
    }

    /// The examples, the store_id (or store set's set_id) they came from (if any), and how the rows split.
    func load() throws -> (table: ExampleTable, store: String?, train: [Int], test: [Int], cut: Int64) {
        let names = features?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let table: ExampleTable
        var opened: String?
        if let path = store {
            let inputs = try ModelInputs(names: names ?? ModelInputs.allNames)
            let builder = StoreExamples(
                label: try LabelSpec(parsing: label!), horizonMillis: try DurationText.flag(horizon, "--horizon"),
                inputs: inputs, anchors: Set(anchors.split(separator: ",").map(String.init)))
            let built: ExampleTable, counts: StoreExamples.Counts
            if StoreSet.isSet(path) {
                let set = try StoreSet(path: path)
                defer { set.close() }
                (built, counts) = try builder.build(fromSet: set)
                opened = set.manifest.setId
            } else {
                let s = try FeatureStore.openReadOnly(path: path)
                (built, counts) = try builder.build(from: s)
                opened = s.storeId
            }
            Console.error("examples: \(Format.count(counts.examples)) from \(Format.count(counts.anchors)) anchor events of \(Format.count(counts.users)) users (\(Format.count(counts.censored)) too close to the end to label, \(Format.count(counts.unlabelled)) without a label in the horizon, \(Format.count(counts.withoutFeatures)) before any features)")
            table = built
        } else {
            table = try RowsFile(path: data!, target: target!, features: names, timeColumn: timeColumn).load()
        }
        guard table.rowCount > 0 else { throw RTMLError("no training examples (check --label, --horizon and --anchors)") }
        let (train, test, cut) = try split.split.split(table)
        if let exportRows { try RowsExport.write(table, train: train, test: test, to: exportRows) }
        return (table, opened, train, test, cut)
    }
}

struct SplitOptions: ParsableArguments {
    @Option(name: .customLong("split-at"), help: ArgumentHelp("Rows at or after this time (RFC 3339 or epoch ms) are the test set.", valueName: "time"))
    var splitAt: String?

    @Option(name: .customLong("test-fraction"), help: ArgumentHelp("Without --split-at: the latest fraction of rows (by time) that is the test set.", valueName: "f"))
    var testFraction = 0.2

    func validate() throws {
        guard testFraction >= 0, testFraction < 1 else { throw ValidationError("'--test-fraction' must be in [0, 1)") }
        if let splitAt { _ = try Self.time(splitAt) }
    }

    var split: TimeSplit {
        if let splitAt, let t = try? Self.time(splitAt) { return .at(t) }
        return .lastFraction(testFraction)
    }

    static func time(_ text: String) throws -> Int64 {
        if let ms = Int64(text) { return ms }
        if case .success(let ms) = EventTime.parseRFC3339(text) { return ms }
        throw ValidationError("'--split-at' must be an RFC 3339 time or epoch milliseconds, not '\(text)'")
    }
}

/// Where the bundle goes.
struct RegistryOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Register the model as the next version of this registry (models/NAME).", valueName: "dir"))
    var output: String?

    @Option(help: ArgumentHelp("Point this alias (e.g. champion) at the new version.", valueName: "name"))
    var alias: String?

    @Flag(name: [.short, .long], help: "No summary on stderr.")
    var quiet = false

    @Flag(inversion: .prefixedNo, help: "Print the solver's iterations and loss on stderr while it runs (default: when stderr is a terminal and without --quiet).")
    var progress: Bool?

    /// The iteration lines for this run: on a terminal unless --quiet, or as --progress/--no-progress say.
    func iterationProgress(total: Int? = nil, interval: Double = 0.25) -> IterationProgress {
        IterationProgress(enabled: progress ?? (!quiet && isatty(STDERR_FILENO) != 0), total: total, interval: interval)
    }

    func validate() throws {
        if alias != nil, output == nil { throw ValidationError("--alias needs -o models/NAME") }
    }

    /// Registers the model (when asked), prints the summary and the result line.
    func finish(_ model: TrainedModel) throws {
        if !quiet { model.summary.forEach(Console.error) }
        var result: [(String, JSONValue)] = [("kind", .string(model.kind))]
        if let output {
            let registered = try TrainedModelExport.register(model, registry: output, alias: alias)
            result += [("model", .string(output)), ("version", .int(registered.version)), ("path", .string(registered.path))]
            if !quiet { Console.error("registered \(registered.path)\(alias.map { " as \(output)@\($0)" } ?? "")") }
        }
        result.append(("metrics", .object(model.metrics)))
        print(JSONValue.object(result).rendered())
    }
}

extension RTMLCommand.Train {
    struct ElasticNetCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "elasticnet",
            abstract: "Linear regression with L1 and L2 penalties (scikit-learn's ElasticNet objective, coordinate descent).",
            discussion: """
            Minimises (1/2n)·||y − Xw − b||² + alpha·l1_ratio·||w||₁ + alpha·(1 − l1_ratio)/2·||w||², \
            intercept fitted, by cyclic coordinate descent with scikit-learn's stopping rule (the \
            largest coordinate change below --tol, then the duality gap below --tol·||y||²), so it \
            gives scikit-learn's coefficients on the same rows.
            """)

        @OptionGroup var data: TrainDataOptions
        @Option(help: "Penalty strength alpha.") var alpha = 1.0
        @Option(name: .customLong("l1-ratio"), help: "Share of the L1 penalty, 0 (ridge) to 1 (lasso).") var l1Ratio = 0.5
        @Option(help: "Tolerance of the stopping rule.") var tol = 1e-4
        @Option(name: .customLong("max-iter"), help: "Most sweeps over the coordinates.") var maxIter = 1000
        @OptionGroup var registry: RegistryOptions

        func run() throws {
            let enet = ElasticNet(alpha: alpha, l1Ratio: l1Ratio, tolerance: tol, maxIterations: maxIter)
            try enet.validate()
            try registry.finish(try data.fit(.elasticNet(enet), progress: registry.iterationProgress()))
        }
    }

    struct LogisticCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "logistic",
            abstract: "Multinomial logistic regression with an L2 penalty (scikit-learn's LogisticRegression, lbfgs).",
            discussion: """
            Minimises C·Σ cross-entropy + ½·||W||² (intercepts not penalised) with L-BFGS until the \
            largest gradient component is below --tol; with --penalty l1, C·Σ cross-entropy + ||W||₁ \
            with OWL-QN. Two classes give one score vector \
            (P(class 1) = σ(w·x + b)), more give one per class (softmax). Metrics: log-loss, \
            accuracy and one-vs-rest AUC on the test rows beside the class priors.
            """)

        @OptionGroup var data: TrainDataOptions
        @Option(name: .customLong("C"), help: "Inverse penalty strength C (larger: weaker penalty).") var c = 1.0
        @Option(help: ArgumentHelp("l2 (L-BFGS) or l1 (OWL-QN; sparse coefficients).", valueName: "l2|l1")) var penalty = "l2"
        @Option(help: "Gradient tolerance.") var tol = 1e-4
        @Option(name: .customLong("max-iter"), help: "Most L-BFGS iterations.") var maxIter = 1000
        @OptionGroup var registry: RegistryOptions

        func run() throws {
            guard let kind = LogisticRegression.Penalty(rawValue: penalty) else {
                throw ValidationError("'--penalty' must be l2 or l1, not '\(penalty)'")
            }
            let logistic = LogisticRegression(c: c, penalty: kind, tolerance: tol, maxIterations: maxIter)
            try logistic.validate()
            try registry.finish(try data.fit(.logistic(logistic), progress: registry.iterationProgress()))
        }
    }

    struct ALSCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "als",
            abstract: "Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) over a store's user x content interactions.",
            discussion: """
            Interaction strength r per user and content before the split: content.start +1, \
            content.complete +2, an exit before --bounce-threshold −0.75; confidence 1 + alpha·r. \
            Users and items are indexed by the store's sequence_ids and item_ids, and the bundle \
            records the store's sequence_map_fingerprint: serving it against a store whose ids \
            differ is refused. Over a store set, users and items get the set's global ids \
            (user local id * N + partition; items by content id) and the bundle records the \
            set's fingerprint, so it serves every shard of that set and no other store. Scored on the items each user started after the split that they \
            had not seen before it: recall, precision, NDCG and MAP at -k, beside popularity.
            """)

        @Option(help: ArgumentHelp("The feature store to learn from, or a store set (a directory with manifest.json).", valueName: "file|dir"))
        var store: String?
        @Option(help: ArgumentHelp("Learn from a table of interactions instead (CSV/NDJSON: user, item, optional strength and time columns); for offline evaluation, not serving.", valueName: "file"))
        var data: String?
        @Option(name: .customLong("user-column"), help: "With --data: the user column.") var userColumn = "user"
        @Option(name: .customLong("item-column"), help: "With --data: the item column.") var itemColumn = "item"
        @Option(name: .customLong("strength-column"), help: "With --data: the interaction strength column (default: 1 per row).") var strengthColumn: String?
        @Option(name: .customLong("time-column"), help: "With --data: a time column for the split (default: file order).") var timeColumn: String?
        @OptionGroup var split: SplitOptions
        @Option(help: "Latent factors per user and item.") var factors = 32
        @Option(help: "ALS iterations (users then items).") var iterations = 15
        @Option(help: "L2 penalty lambda on the factors.") var regularization = 0.05
        @Option(help: "Confidence scale alpha in 1 + alpha·r.") var alpha = 10.0
        @Option(name: .customLong("cg-steps"), help: "Conjugate-gradient steps per row (0: exact Cholesky solves).") var cgSteps = 3
        @Option(help: "Seed of the initial factors.") var seed: UInt64 = 1
        @Option(name: .short, help: "List length for the metrics.") var k = 10
        @Option(name: .customLong("bounce-threshold"), help: ArgumentHelp("An exit before this position is a bounce.", valueName: "duration"))
        var bounceThreshold = "60s"
        @OptionGroup var registry: RegistryOptions

        func run() throws {
            let als = ImplicitALS(
                factors: factors, iterations: iterations, regularization: regularization, alpha: alpha, seed: seed,
                conjugateGradientSteps: cgSteps == 0 ? nil : cgSteps)
            try als.validate()
            guard (store == nil) != (data == nil) else { throw ValidationError("give exactly one of --store and --data") }
            // A store set trains in the set's global id space (docs/scale-out.md).
            let set = try store.flatMap { StoreSet.isSet($0) ? try StoreSet(path: $0) : nil }
            defer { set?.close() }
            let s = try store.flatMap { set == nil ? try FeatureStore.openReadOnly(path: $0) : nil }
            let interactions: Interactions
            var setUsers: StoreSetUsers?
            if let set {
                let loaded = try Interactions.load(
                    fromSet: set, split: split.split, bounceThresholdMillis: try DurationText.flag(bounceThreshold, "--bounce-threshold"))
                interactions = loaded.interactions
                setUsers = loaded.users
            } else if let s {
                interactions = try Interactions.load(
                    from: s, split: split.split, bounceThresholdMillis: try DurationText.flag(bounceThreshold, "--bounce-threshold"))
            } else {
                interactions = try Interactions.load(
                    table: data!, userColumn: userColumn, itemColumn: itemColumn, strengthColumn: strengthColumn,
                    timeColumn: timeColumn, split: split.split)
            }
            // Every iteration gets its line: ALS runs a few slow ones, not hundreds of fast ones.
            let progress = registry.iterationProgress(total: als.iterations, interval: 0)
            var training = ALSTraining(als: als, k: k)
            if progress.enabled {
                // Only when shown: the loss costs about half an iteration.
                training.progress = { iteration, loss in progress.report(iteration: iteration, loss: loss) }
            }
            var model = try training.run(interactions)
            progress.finish()
            if let set, let setUsers {
                // Rows were fitted per existing user; serving indexes them by global id.
                if let k = model.arrays.firstIndex(where: { $0.name == "user_factors" }), case .float32(let fitted) = model.arrays[k].values {
                    model.arrays[k] = WeightArray(name: "user_factors", shape: [setUsers.globalCount, factors],
                                                  float32: setUsers.expand(fitted, factors: factors))
                }
                model.storeId = set.manifest.setId
                model.sequenceMapFingerprint = try set.fingerprint()
                model.params.append(("store_set", .string(set.path)))
                model.params.append(("partitions", .int(set.partitions)))
                if case .object(var members) = model.modelJSON, let k = members.firstIndex(where: { $0.0 == "indexed_by" }) {
                    members[k].1 = .string("the store set's global ids (v\(StoreSetManifest.globalIdsVersion)): users sequence_ids.seq_id * \(set.partitions) + partition; items by content id, item_ids listed here")
                    model.modelJSON = .object(members)
                }
            } else if let s {
                model.storeId = s.storeId
                model.sequenceMapFingerprint = try s.meta("sequence_map_fingerprint")
            } else {
                model.params.append(("data", .string(data!)))
            }
            try registry.finish(model)
        }
    }

    struct ListCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Show a registry's versions, aliases and headline metrics.")

        @Argument(help: ArgumentHelp("The registry directory (models/NAME).", valueName: "dir"))
        var registry: String

        func run() throws {
            print(try TrainedModelExport.listing(registry: registry), terminator: "")
        }
    }
}

extension TrainDataOptions {
    /// Loads and splits the rows, fits a linear model, and records where the rows came from.
    func fit(_ method: LinearTraining.Method, progress: IterationProgress) throws -> TrainedModel {
        let (table, store, train, test, cut) = try load()
        var model = try LinearTraining(method: method, standardize: standardize ?? (store != nil), progress: progress)
            .run(table, train: train, test: test)
        try model.describeData(table, store: store, train: train, cut: cut, test: test, data: self)
        return model
    }
}

extension TrainedModel {
    /// Records where the rows came from in the model's metadata.
    mutating func describeData(
        _ table: ExampleTable, store: String?, train: [Int], cut: Int64, test: [Int], data: TrainDataOptions
    ) throws {
        if let times = table.times, !train.isEmpty, store != nil || data.timeColumn != nil {
            trainFrom = train.map { times[$0] }.min()
            trainTo = train.map { times[$0] }.max()
            if !test.isEmpty { testFrom = cut }
        }
        if let store {
            // No sequence_map_fingerprint: a linear model reads features by
            // user id, not by sequence id, so a remapped store cannot mislead it.
            storeId = store
            params.append(("label", .string(data.label ?? "")))
            params.append(("horizon", .string(data.horizon)))
            params.append(("anchors", .string(data.anchors)))
        } else if let path = data.data {
            params.append(("data", .string(path)))
            params.append(("target", .string(data.target ?? "")))
        }
    }
}
