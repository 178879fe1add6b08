/// Turns a fit into a registered bundle, and a registry into a listing.
public enum TrainedModelExport {
    public static func bundle(_ model: TrainedModel) -> ModelBundle {
        var params = model.params
        if let testFrom = model.testFrom { params.append(("split_at", .string(EventTime.formatRFC3339(testFrom)))) }
        let window = model.trainFrom.flatMap { from in model.trainTo.map { TrainingWindow(from: from, to: $0) } }
        return ModelBundle(
            kind: model.kind, params: .object(params), metrics: .object(model.metrics),
            signature: ModelSignature(inputs: model.inputs, outputs: model.outputs),
            trainingWindow: window, storeId: model.storeId, sequenceMapFingerprint: model.sequenceMapFingerprint,
            model: model.modelJSON, arrays: model.arrays)
    }

    /// Registers the model as the next version of `registry`, optionally aliased.
    public static func register(_ model: TrainedModel, registry path: String, alias: String?) throws -> RegisteredModel {
        let registry = ModelRegistry(path: path)
        if let alias { try ModelRegistry.validateAlias(alias) }
        let registered = try registry.register(bundle(model))
        if let alias { try registry.setAlias(alias, version: registered.version) }
        return registered
    }
}

extension TrainedModelExport {
    /// A registry's versions as a table: version, aliases, kind, created, headline metrics.
    public static func listing(registry path: String) throws -> String {
        let registry = ModelRegistry(path: path)
        let entries = try registry.list()
        guard !entries.isEmpty else { return "\(path): no versions\n" }
        var out = "version  aliases          kind        created                   metrics\n"
        for e in entries {
            let aliases = e.aliases.isEmpty ? "-" : e.aliases.joined(separator: ",")
            let created = e.createdAt.map(EventTime.formatRFC3339) ?? "-"
            let line = [
                String(e.version).padding(toLength: 8, withPad: " ", startingAt: 0),
                aliases.padding(toLength: 16, withPad: " ", startingAt: 0),
                (e.kind ?? "?").padding(toLength: 11, withPad: " ", startingAt: 0),
                created.padding(toLength: 25, withPad: " ", startingAt: 0),
                e.problem.map { "unreadable: \($0)" } ?? headline(e.metrics),
            ].joined(separator: " ")
            out += line + "\n"
        }
        return out
    }

    /// The metrics a person compares versions by, in a fixed order.
    static func headline(_ metrics: JSONValue) -> String {
        guard case .object(let members) = metrics else { return "" }
        let wanted = ["test_rmse", "test_r2", "test_log_loss", "test_accuracy", "test_auc"]
        var parts: [String] = []
        for (key, value) in members where wanted.contains(key) || key.hasPrefix("recall_at_") || key.hasPrefix("ndcg_at_") {
            if case .double(let v) = value { parts.append("\(key)=\(fmt(v))") }
        }
        return parts.joined(separator: " ")
    }
}
