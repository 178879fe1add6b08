import Foundation

/// Fits an ElasticNet regression or a logistic classifier on an example
/// table split by time, and evaluates it on the later rows beside the
/// baseline a model must beat (the training mean; the class priors).
public struct LinearTraining {
    public enum Method: Sendable {
        case elasticNet(ElasticNet)
        case logistic(LogisticRegression)
    }

    public var method: Method
    public var standardize: Bool
    /// Where the solver's iterations go while it runs (nil: nowhere).
    public var progress: IterationProgress?

    public init(method: Method, standardize: Bool, progress: IterationProgress? = nil) {
        self.method = method
        self.standardize = standardize
        self.progress = progress
    }

    /// The progress display when it prints: the per-iteration numbers cost an extra
    /// pass over the rows, which a hidden display should not pay for.
    private var shownProgress: IterationProgress? { progress?.enabled == true ? progress : nil }

    public func run(_ table: ExampleTable, train: [Int], test: [Int]) throws -> TrainedModel {
        guard !train.isEmpty else { throw RTMLError("no training rows (the split left every row on the test side)") }
        let scaler = standardize ? Standardizer(table, rows: train) : Standardizer.identity(table.featureCount)
        let xTrain = scaler.matrix(table, rows: train)
        let xTest = Standardizer.identity(table.featureCount).matrix(table, rows: test)
        let scaling: [(String, JSONValue)] = [("standardize", .bool(standardize))]
        switch method {
        case .elasticNet(let enet):
            guard table.classes == nil else {
                throw RTMLError("elasticnet needs a numeric target; this one has classes (\(table.classes!.prefix(5).joined(separator: ", "))): use logistic")
            }
            return try elasticNet(enet, table, train, test, xTrain, xTest, scaler, scaling)
        case .logistic(let logistic):
            return try self.logistic(logistic, table, train, test, xTrain, xTest, scaler, scaling)
        }
    }

    private func elasticNet(
        _ enet: ElasticNet, _ table: ExampleTable, _ train: [Int], _ test: [Int],
        _ xTrain: DesignMatrix, _ xTest: DesignMatrix, _ scaler: Standardizer, _ scaling: [(String, JSONValue)]
    ) throws -> TrainedModel {
        let yTrain = train.map { table.targets[$0] }
        let yTest = test.map { table.targets[$0] }
        let started = Monotonic.now()
        let fit = try enet.fit(xTrain, yTrain, progress: shownProgress.map { progress in
            { sweep in
                progress.report(iteration: sweep.sweep, loss: sweep.objective,
                                [("max |Δw|/|w|", sweep.maxRelativeChange)] + (sweep.dualityGap.map { [("gap", $0)] } ?? []))
            }
        })
        progress?.finish()
        let fitSeconds = Monotonic.now() - started
        let (w, b) = scaler.fold(coefficients: fit.model.coefficients, intercept: fit.model.intercept)
        let model = LinearModel(featureNames: table.featureNames, coefficients: w, intercept: b)
        var metrics: [(String, JSONValue)] = [
            ("rows_train", .int(train.count)), ("rows_test", .int(test.count)),
            ("iterations", .int(fit.iterations)), ("converged", .bool(fit.converged)),
            ("duality_gap", .double(fit.dualityGap)), ("fit_seconds", .double(fitSeconds)),
            ("train_rmse", .double(RegressionMetrics.rmse(predicted: model.predict(scaler.rawMatrix(table, rows: train)), actual: yTrain))),
        ]
        var summary = ["elasticnet: \(train.count) training rows, \(test.count) test rows, \(table.featureCount) inputs; \(fit.iterations) iterations in \(fmt(fitSeconds)) s\(fit.converged ? "" : " (not converged: raise --max-iter or --tol)")"]
        if !test.isEmpty {
            let predicted = model.predict(xTest)
            let mean = yTrain.reduce(0, +) / Double(yTrain.count)
            let rmse = RegressionMetrics.rmse(predicted: predicted, actual: yTest)
            let baseline = RegressionMetrics.rmse(predicted: [Double](repeating: mean, count: yTest.count), actual: yTest)
            let r2 = RegressionMetrics.r2(predicted: predicted, actual: yTest)
            metrics += [("test_rmse", .double(rmse)), ("test_r2", .double(r2)), ("baseline_test_rmse", .double(baseline))]
            summary.append("  test rmse \(fmt(rmse)) (baseline: training mean \(fmt(baseline))), r2 \(fmt(r2))")
        }
        var trained = TrainedModel(
            kind: "elasticnet",
            params: [("alpha", .double(enet.alpha)), ("l1_ratio", .double(enet.l1Ratio)), ("tol", .double(enet.tolerance)),
                     ("max_iter", .int(enet.maxIterations))] + scaling,
            metrics: metrics,
            modelJSON: .object([
                ("intercept", .double(b)),
                ("coefficients", .object(zip(table.featureNames, w).map { ($0, .double($1)) })),
            ]),
            inputs: table.featureNames.map { .init($0, .double) }, outputs: [.init("prediction", .double)])
        trained.arrays = [
            WeightArray(name: "coefficients", shape: [1, w.count + 1], float64: w + [b]),
        ]
        trained.summary = summary
        return trained
    }

    private func logistic(
        _ logistic: LogisticRegression, _ table: ExampleTable, _ train: [Int], _ test: [Int],
        _ xTrain: DesignMatrix, _ xTest: DesignMatrix, _ scaler: Standardizer, _ scaling: [(String, JSONValue)]
    ) throws -> TrainedModel {
        let classes = try Self.classNames(table)
        let labels = table.targets.map { Int($0) }
        let yTrain = train.map { labels[$0] }
        let yTest = test.map { labels[$0] }
        let started = Monotonic.now()
        let fit = try logistic.fit(xTrain, labels: yTrain, classCount: classes.count, progress: shownProgress.map { progress in
            { step in progress.report(iteration: step.iteration, loss: step.objective, [("max |gradient|", step.gradientMaxNorm)]) }
        })
        progress?.finish()
        let fitSeconds = Monotonic.now() - started
        var rows: [[Double]] = []
        var intercepts: [Double] = []
        for (k, w) in fit.model.coefficients.enumerated() {
            let folded = scaler.fold(coefficients: w, intercept: fit.model.intercepts[k])
            rows.append(folded.coefficients)
            intercepts.append(folded.intercept)
        }
        let model = LogisticModel(featureNames: table.featureNames, classCount: classes.count, coefficients: rows, intercepts: intercepts)
        var metrics: [(String, JSONValue)] = [
            ("rows_train", .int(train.count)), ("rows_test", .int(test.count)),
            ("iterations", .int(fit.iterations)), ("converged", .bool(fit.converged)), ("objective", .double(fit.objective)),
            ("fit_seconds", .double(fitSeconds)),
        ]
        let trainRaw = scaler.rawMatrix(table, rows: train)
        metrics.append(("train_log_loss", .double(ClassificationMetrics.logLoss(probabilities: model.probabilities(trainRaw), labels: yTrain))))
        var summary = ["logistic: \(train.count) training rows, \(test.count) test rows, \(table.featureCount) inputs, \(classes.count) classes; \(fit.iterations) iterations\(fit.converged ? "" : " (not converged: raise --max-iter or --tol)")"]
        if !test.isEmpty {
            let p = model.probabilities(xTest)
            let predicted = model.predictClasses(xTest)
            var prior = [Double](repeating: 0, count: classes.count)
            for y in yTrain { prior[y] += 1 }
            prior = prior.map { $0 / Double(yTrain.count) }
            let majority = prior.indices.max { prior[$0] < prior[$1] }!
            let logLoss = ClassificationMetrics.logLoss(probabilities: p, labels: yTest)
            let accuracy = ClassificationMetrics.accuracy(predicted: predicted, labels: yTest)
            let auc = classes.count == 2
                ? ClassificationMetrics.auc(scores: p.map { $0[1] }, positives: yTest.map { $0 == 1 })
                : ClassificationMetrics.macroAUC(probabilities: p, labels: yTest)
            let baseLoss = ClassificationMetrics.logLoss(probabilities: [[Double]](repeating: prior, count: yTest.count), labels: yTest)
            let baseAccuracy = ClassificationMetrics.accuracy(predicted: [Int](repeating: majority, count: yTest.count), labels: yTest)
            metrics += [
                ("test_log_loss", .double(logLoss)), ("test_accuracy", .double(accuracy)),
                ("test_auc", auc.map { .double($0) } ?? .null),
                ("baseline_test_log_loss", .double(baseLoss)), ("baseline_test_accuracy", .double(baseAccuracy)),
            ]
            summary.append("  test log-loss \(fmt(logLoss)) (baseline: class priors \(fmt(baseLoss))), accuracy \(fmt(accuracy)) (majority class \(fmt(baseAccuracy))), AUC \(auc.map(fmt) ?? "n/a")")
        }
        let scoreNames = classes.count == 2 ? [classes[1]] : classes
        var trained = TrainedModel(
            kind: "logistic",
            params: [("C", .double(logistic.c)), ("penalty", .string(logistic.penalty.rawValue)), ("tol", .double(logistic.tolerance)),
                     ("max_iter", .int(logistic.maxIterations))] + scaling,
            metrics: metrics,
            modelJSON: .object([
                ("classes", .array(classes.map { .string($0) })),
                ("intercepts", .object(zip(scoreNames, intercepts).map { ($0, .double($1)) })),
                ("coefficients", .object(zip(scoreNames, rows).map { name, w in
                    (name, .object(zip(table.featureNames, w).map { ($0, .double($1)) }))
                })),
            ]),
            inputs: table.featureNames.map { .init($0, .double) },
            outputs: classes.map { .init("p_\($0)", .double) })
        trained.arrays = [
            WeightArray(name: "coefficients", shape: [rows.count, table.featureCount + 1],
                        float64: zip(rows, intercepts).flatMap { $0 + [$1] }),
        ]
        trained.summary = summary
        return trained
    }

    /// Class names: the table's, or the distinct integer targets ("0", "1", ...).
    static func classNames(_ table: ExampleTable) throws -> [String] {
        if let classes = table.classes { return classes }
        let distinct = Set(table.targets)
        guard distinct.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 1000 }) else {
            throw RTMLError("logistic needs class labels: a text target, or integers 0, 1, 2, ...; this target has other numbers (use elasticnet)")
        }
        let count = Int(distinct.max() ?? 0) + 1
        return (0..<max(count, 2)).map(String.init)
    }
}

extension Standardizer {
    /// The rows unscaled, for scoring with raw (folded) coefficients.
    func rawMatrix(_ table: ExampleTable, rows: [Int]) -> DesignMatrix {
        Standardizer.identity(table.featureCount).matrix(table, rows: rows)
    }
}
