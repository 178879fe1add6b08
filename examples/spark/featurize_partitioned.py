#!/usr/bin/env python3
"""Featurize a day's log on Spark, one rtml pipeline per user partition.

    spark-submit examples/spark/featurize_partitioned.py day.ndjson.gz --partitions 4 --out stores/
    python3 examples/spark/featurize_partitioned.py day.ndjson.gz --partitions 4 --out stores/ --master 'local[2]'

Spark partition i receives exactly the lines of rtml's partition i
(rtml_partition.py recomputes rtml's hash), in the order they are in the log,
and pipes them through

    rtml ingest | rtml featurize --store OUT/part-000i.db --partition i/N --flush-at-end

so OUT is a store set: the same N shard stores as `rtml partition N` followed
by that pipeline per part, and OUT/manifest.json, to which each featurize adds
its own shard (docs/scale-out.md). rtml must be on every executor's PATH (or
--rtml), and OUT must be writable by every executor (a shared file system
with working flock, which featurize takes on OUT while it updates the
manifest).

With --models DIR the driver then trains ALS on the set (DIR/recs, alias
champion) and serves every partition's jobs from the set into
OUT/predictions.ndjson: one model over all shards, each user's job answered
from their shard.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtml_partition  # noqa: E402


def part_name(out, i):
    return os.path.join(out, "part-%04d" % i)


def run_partition(index, records, rtml, out, n, ingest_args, featurize_args):
    """Pipes one partition's lines through ingest | featurize; yields its stats."""
    base = part_name(out, index)
    script = (
        f"set -o pipefail; {shlex.quote(rtml)} ingest --quiet --stats {shlex.quote(base + '.ingest.json')} "
        f"--rejects {shlex.quote(base + '.rejects.ndjson')} {ingest_args} "
        f"| {shlex.quote(rtml)} featurize --quiet --store {shlex.quote(base + '.db')} --partition {index}/{n} --flush-at-end "
        f"--stats {shlex.quote(base + '.featurize.json')} {featurize_args} > {shlex.quote(base + '.jobs.ndjson')}"
    )
    # The pipeline's output goes to files, so writing its stdin cannot deadlock.
    child = subprocess.Popen(["bash", "-c", script], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    for _, line in records:
        child.stdin.write(line)
        child.stdin.write(b"\n")
    child.stdin.close()
    error = child.stderr.read().decode("utf-8", "replace")
    status = child.wait()
    if status != 0:
        raise RuntimeError(f"partition {index}: rtml exited {status}: {error}")
    with open(base + ".ingest.json") as f:
        ingest = json.load(f)
    with open(base + ".featurize.json") as f:
        featurize = json.load(f)
    yield {"partition": index, "store": base + ".db", "ingest": ingest, "featurize": featurize}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", help="the day's events (NDJSON, gzip or plain); any path Spark reads")
    parser.add_argument("--partitions", "-n", type=int, required=True, help="N: the number of user partitions")
    parser.add_argument("--out", required=True, help="directory for part-0000.db ... (shared by all executors)")
    parser.add_argument("--rtml", default="rtml", help="the rtml binary on the executors")
    parser.add_argument("--master", default=None, help="Spark master when run with python3 (e.g. local[2])")
    parser.add_argument("--ingest-args", default="", help="extra rtml ingest flags, e.g. '--received-at-default timestamp'")
    parser.add_argument("--featurize-args", default="", help="extra rtml featurize flags, e.g. '--window 10m'")
    parser.add_argument("--models", default=None, help="then train ALS on the set into MODELS/recs and serve the jobs from the set")
    parser.add_argument("--train-args", default="", help="extra rtml train als flags, e.g. '--factors 16'")
    args = parser.parse_args()
    if args.partitions < 1:
        parser.error("--partitions must be at least 1")

    from pyspark import SparkConf, SparkContext

    conf = SparkConf().setAppName("rtml featurize partitioned").set("spark.ui.showConsoleProgress", "false")
    if args.master:
        conf.setMaster(args.master)
    sc = SparkContext.getOrCreate(conf)
    sc.setLogLevel("ERROR")
    # The executors need the hash too.
    sc.addPyFile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtml_partition.py"))
    os.makedirs(args.out, exist_ok=True)
    n = args.partitions
    out = os.path.abspath(args.out)

    # Lines as bytes (no decoding: a malformed line must reach ingest as it
    # is), numbered by their position in the log, blank lines dropped (no
    # stage counts them as records).
    lines = sc.textFile(args.log, use_unicode=False).zipWithIndex().filter(lambda li: li[0].strip())
    # Key (partition, position): partition i gets exactly rtml's partition i,
    # sorted back into log order, since featurize follows arrival order.
    keyed = lines.map(lambda li: ((rtml_partition.line_partition(li[0], n), li[1]), li[0]))
    parts = keyed.repartitionAndSortWithinPartitions(n, partitionFunc=lambda key: key[0])
    rtml, ingest_args, featurize_args = args.rtml, args.ingest_args, args.featurize_args
    results = parts.mapPartitionsWithIndex(
        lambda i, records: run_partition(i, records, rtml, out, n, ingest_args, featurize_args)).collect()
    sc.stop()

    results.sort(key=lambda r: r["partition"])
    total = {"partitions": n, "stores": [r["store"] for r in results]}
    for stage in ("ingest", "featurize"):
        total[stage] = {k: sum(r[stage][k] for r in results) for k in ("read", "accepted", "rejected")}
    if args.models:
        total.update(train_and_serve(args.rtml, out, n, args.models, args.train_args))
    print(json.dumps(total))


def train_and_serve(rtml, out, n, models, train_args):
    """One ALS model over the whole set, then every job served from the set."""
    registry = os.path.join(models, "recs")
    subprocess.run(f"{shlex.quote(rtml)} train als --store {shlex.quote(out)} -o {shlex.quote(registry)} "
                   f"--alias champion --quiet {train_args} > /dev/null", shell=True, check=True)
    jobs = " ".join(shlex.quote(part_name(out, i) + ".jobs.ndjson") for i in range(n))
    predictions = os.path.join(out, "predictions.ndjson")
    stats = os.path.join(out, "serve.json")
    subprocess.run(f"cat {jobs} | {shlex.quote(rtml)} serve-once --store {shlex.quote(out)} "
                   f"--model {shlex.quote(registry + '@champion')} --quiet --stats {shlex.quote(stats)} "
                   f"> {shlex.quote(predictions)}", shell=True, check=True)
    with open(stats) as f:
        serve = json.load(f)
    return {"model": registry, "predictions": predictions, "serve": {k: serve[k] for k in ("read", "served", "cold_start")}}


if __name__ == "__main__":
    main()
