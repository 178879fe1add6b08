import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct StoreSetCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store-set",
            abstract: "Create, register and check store sets: one shard store per user partition and a manifest.",
            discussion: """
            A store set is a directory of shard stores part-0000.db ... part-<N-1>.db (shard I \
            holds the users of --partition I/N) and manifest.json (format version, N, the \
            partition hash, and each shard's store_id). serve-once, train, diff and promote \
            accept a set wherever they accept a store and route each user to their shard; ALS \
            over a set uses one global id space made from the shards' own ids \
            (docs/scale-out.md).

            featurize --store DIR/part-000I.db --partition I/N registers its shard itself, so \
            N featurize processes make a set without this command. Use init for shards made \
            elsewhere (copied from Spark executors, say), and show to check a set.

            Examples:
              rtml store-set init parts --partitions 4
              rtml store-set show parts
            """,
            subcommands: [Init.self, Show.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write DIR/manifest.json for N partitions, registering the shard files already in DIR.",
                discussion: """
                Creates DIR when missing. Each part-000I.db present must record partition I/N in \
                its meta (featurize --partition I/N does). Running init again is harmless; a \
                shard whose store id differs from the manifest's is refused unless --reregister.

                Example:
                  rtml store-set init parts --partitions 4
                """)

            @Argument(help: ArgumentHelp("The set's directory.", valueName: "dir"))
            var directory: String

            @Option(help: ArgumentHelp("How many partitions (shards) the set has.", valueName: "n"))
            var partitions: Int

            @Flag(help: "Accept shard files whose store id differs from the manifest's (a shard was rebuilt).")
            var reregister = false

            func validate() throws {
                guard partitions >= 1 else { throw ValidationError("'--partitions' must be at least 1") }
            }

            func run() throws {
                let (manifest, registered) = try StoreSetRegistration.initialize(
                    directory: directory, partitions: partitions, reregister: reregister)
                let pending = manifest.storeIds.indices.filter { manifest.storeIds[$0] == nil }
                Console.error("store-set: \(directory)/\(StoreSetManifest.fileName): \(manifest.partitions) partitions, \(registered.count) shard\(registered.count == 1 ? "" : "s") registered now, \(pending.count) not created yet")
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Validate a store set and print its shards, users and fingerprints.",
                discussion: """
                Exit status 2 when the set is not valid (manifest missing or unreadable, a \
                shard missing, a shard of another partition or another set), with the reason.
                With --json one JSON object on stdout.

                Example:
                  rtml store-set show parts --json | jq .fingerprint
                """)

            @Argument(help: ArgumentHelp("The set's directory.", valueName: "dir"))
            var directory: String

            @Flag(help: "Print one JSON object instead of text.")
            var json = false

            func run() throws {
                let set = try StoreSet(path: directory)
                defer { set.close() }
                var shards: [JSONValue] = []
                var lines: [String] = []
                var total = 0
                for (i, shard) in set.shards.enumerated() {
                    let s = try Promotion.summary(shard)
                    total += s.users
                    shards.append(.object([
                        ("partition", .int(i)), ("file", .string(shard.path)), ("store_id", .string(s.storeId)),
                        ("users", .int(s.users)), ("history_rows", .int(s.historyRows)),
                        ("sequence_map_fingerprint", .string(s.fingerprint)),
                    ]))
                    lines.append("  \(StoreSetManifest.shardFileName(i))  \(i)/\(set.partitions)  \(Format.count(s.users)) users  \(Format.count(s.historyRows)) history rows  fingerprint \(s.fingerprint)  store id \(s.storeId)")
                }
                let print = try set.fingerprint()
                if json {
                    Swift.print(JSONValue.object([
                        ("path", .string(directory)), ("set_id", .string(set.manifest.setId)),
                        ("partitions", .int(set.partitions)), ("users", .int(total)),
                        ("fingerprint", .string(print)), ("shards", .array(shards)),
                    ]).rendered())
                } else {
                    Swift.print("\(directory): store set of \(set.partitions) shards, \(Format.count(total)) users, set id \(set.manifest.setId)")
                    Swift.print("  fingerprint \(print) (of the global ids)")
                    lines.forEach { Swift.print($0) }
                }
            }
        }
    }
}
