import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Switch a blue-green stores directory to the other store, after checking it and its models.",
            discussion: """
            A stores directory holds blue.db, green.db and ACTIVE (blue or green). Readers given \
            --stores DIR follow ACTIVE, so switching it switches serving. Before the switch the \
            target is checked: it opens as an rtml store of a schema version this rtml knows, it \
            has features, and each --model fits it (the model's sequence_map_fingerprint equals \
            the store's, and the store has every feature column the model reads). Any failed \
            check leaves ACTIVE untouched and exits 2 with the reason. The switch writes a \
            temporary file, fsyncs it, renames it over ACTIVE and fsyncs the directory.

            The colors may be store sets instead (directories blue/ and green/ with manifest.json \
            and part-*.db shards, docs/scale-out.md): the target set must validate (every shard \
            present, each shard's partition and store id as the manifest says), every shard must \
            have features and the model columns, and each model must carry the set's fingerprint.

            Without --to: prints which color is active and a summary of both stores.

            The retrain cycle (docs/serving.md):
              rtml featurize --store stores/green.db --color green < events     # while blue serves
              rtml train als --store stores/green.db -o models/recs --alias green
              rtml promote --stores stores --to green --model models/recs@green
            """
        )

        @Option(help: ArgumentHelp("The stores directory (blue.db, green.db, ACTIVE; or blue/ and green/ store sets).", valueName: "dir"))
        var stores: String

        @Option(help: ArgumentHelp("The color to switch to.", valueName: "blue|green"))
        var to: String?

        @Option(help: ArgumentHelp("A model that will serve from the target; checked against it (repeatable).", valueName: "ref"))
        var model: [String] = []

        @Flag(name: .customLong("dry-run"), help: "Run the checks and report; do not switch.")
        var dryRun = false

        func validate() throws {
            if let to, !StoresDirectory.colors.contains(to) { throw ValidationError("'--to' must be blue or green") }
            if to == nil, dryRun || !model.isEmpty { throw ValidationError("--dry-run and --model go with --to") }
        }

        func run() throws {
            let dir = StoresDirectory(path: stores)
            guard let to else {
                try show(dir)
                return
            }
            let models = try model.map { reference -> (String, ModelBundle) in
                let resolved = try ModelRegistry.resolve(reference)
                return (reference, try resolved.load())
            }
            let target = dir.storePath(to)
            let checks = StoreSet.isSet(target)
                ? Promotion.checkSet(path: target, models: models)
                : Promotion.check(storePath: target, models: models)
            for check in checks {
                Console.error("\(check.passed ? "ok  " : "FAIL") \(check.name): \(check.detail)")
            }
            let current = try? dir.activeColor()
            if let failed = checks.first(where: { !$0.passed }) {
                throw RTMLError("not promoting \(stores) to \(to): \(failed.detail)\(current.map { "; ACTIVE stays \($0)" } ?? "")")
            }
            if dryRun {
                Console.error("dry run: all checks passed; ACTIVE stays \(current ?? "unset")")
                return
            }
            try dir.setActive(to)
            Console.error("promoted: \(stores) ACTIVE \(current ?? "unset") -> \(to)")
        }

        private func show(_ dir: StoresDirectory) throws {
            let active = try? dir.activeColor()
            print("active: \(active ?? "none (no ACTIVE file)")")
            for color in StoresDirectory.colors {
                let path = dir.storePath(color)
                guard FileManager.default.fileExists(atPath: path) else {
                    print("\(color):  \(path) missing")
                    continue
                }
                if StoreSet.isSet(path) {
                    do {
                        let set = try StoreSet(path: path)
                        defer { set.close() }
                        let users = try set.shards.map { try Promotion.summary($0).users }.reduce(0, +)
                        print("\(color)\(color == active ? " *" : "  ")\(color == "blue" ? " " : "") \(path): store set of \(set.partitions) shards, \(users) users, fingerprint \(try set.fingerprint()), set id \(set.manifest.setId)")
                    } catch {
                        print("\(color):  \((error as? RTMLError)?.message ?? "\(path): \(error)")")
                    }
                    continue
                }
                do {
                    let store = try FeatureStore.openReadOnly(path: path)
                    let s = try Promotion.summary(store)
                    let last = s.lastEventTs.map(EventTime.formatRFC3339) ?? "-"
                    print("\(color)\(color == active ? " *" : "  ")\(color == "blue" ? " " : "") \(path): \(s.users) users, \(s.historyRows) history rows, last event \(last), fingerprint \(s.fingerprint), store id \(s.storeId)")
                } catch {
                    print("\(color):  \((error as? RTMLError)?.message ?? "\(path): \(error)")")
                }
            }
        }
    }
}
