#!/usr/bin/env python3
"""Spark Structured Streaming reference for rtml featurize's user_windows.

  windows_parity.py prepare EVENTS.ndjson WORKDIR   # slice and filter the input
  windows_parity.py prepare-all EVENTS.ndjson WORKDIR  # the whole day, for make bench
  windows_parity.py spark WORKDIR                   # run Spark, write WORKDIR/spark.csv

`prepare` keeps the arrivals of a few hours of the day and cuts them into one
file per 10 minutes of arrival, each file one Spark micro-batch (a file
stream with maxFilesPerTrigger=1). Spark moves its watermark only at
micro-batch ends, and since 3.4 filters late rows with the watermark of two
batches back, so its answer depends on batch boundaries for events near the
watermark; rtml's per-event watermark does not. `prepare` therefore drops
the events whose outcome could depend on that: an event between 5 and 40
minutes behind the largest event time before it, and any late event in the
first two files. Everything else (jitter inside the delay, events far beyond
it) is kept, and both engines must then agree exactly. It writes the same
events, in the same order, to WORKDIR/filtered.ndjson for rtml.

Three sentinel files of one event each, a day later, move Spark's watermark
past every real window so append mode emits them all (rtml flushes at end).
"""
import csv, json, os, sys

SLICE_MS = 10 * 60 * 1000
JITTER_MS = 5 * 60 * 1000
FAR_MS = 40 * 60 * 1000
SENTINEL = "__rtml_sentinel__"


def millis(text):
    from datetime import datetime, timezone
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


def prepare(events_path, work, start_hour=6, hours=4):
    """The test's slice: a few hours of arrivals, ambiguous events dropped."""
    _slice(events_path, work, start_hour, hours, filter_ambiguous=True)


def prepare_all(events_path, work):
    """The whole day unchanged, one file per 10 minutes of arrival (make bench)."""
    _slice(events_path, work, -24, 72, filter_ambiguous=False)


def _slice(events_path, work, start_hour, hours, filter_ambiguous):
    os.makedirs(os.path.join(work, "in"), exist_ok=True)
    rows = []
    with open(events_path) as f:
        for line in f:
            e = json.loads(line)
            rows.append((millis(e["receivedAt"]), millis(e["timestamp"]), line))
    middle = rows[len(rows) // 2][0]
    day0 = middle - middle % 86_400_000
    lo, hi = day0 + start_hour * 3_600_000, day0 + (start_hour + hours) * 3_600_000
    kept, dropped, max_seen = [], 0, None
    for received, ts, line in rows:
        if not (lo <= received < hi):
            continue
        behind = 0 if max_seen is None else max_seen - ts
        slice_no = (received - lo) // SLICE_MS
        ambiguous = filter_ambiguous and (JITTER_MS < behind < FAR_MS or (behind >= FAR_MS and slice_no < 2))
        if ambiguous:
            dropped += 1
            continue
        kept.append((slice_no, line))
        max_seen = ts if max_seen is None else max(max_seen, ts)
    with open(os.path.join(work, "filtered.ndjson"), "w") as out:
        for _, line in kept:
            out.write(line)
    files = {}
    for slice_no, line in kept:
        files.setdefault(slice_no, []).append(line)
    names = []
    for n, slice_no in enumerate(sorted(files)):
        name = os.path.join(work, "in", "part-%05d.json" % n)
        with open(name, "w") as out:
            out.writelines(files[slice_no])
        names.append(name)
    base = max_seen + 86_400_000
    for k in range(3):
        t = base + k * 3_600_000
        sentinel = {"messageId": "sentinel-%d" % k, "event": "sentinel", "userId": SENTINEL,
                    "timestamp": iso(t), "receivedAt": iso(t)}
        with open(os.path.join(work, "in", "part-%05d.json" % (len(names) + k)), "w") as out:
            out.write(json.dumps(sentinel) + "\n")
    # Spark's file source takes files oldest first by modification time; files
    # written within the same second would come in any order.
    every = sorted(os.listdir(os.path.join(work, "in")))
    for n, name in enumerate(every):
        stamp = 1_700_000_000 + n * 10
        os.utime(os.path.join(work, "in", name), (stamp, stamp))
    print("kept %d events in %d files, dropped %d near the watermark" % (len(kept), len(names), dropped))


def iso(ms):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def spark(work):
    from pyspark.sql import SparkSession, functions as F
    from pyspark.sql.types import StructType, StructField, StringType
    session = (SparkSession.builder.master("local[1]").appName("rtml-windows-parity")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    schema = StructType([StructField(n, StringType()) for n in ("userId", "anonymousId", "event", "timestamp")])
    stream = (session.readStream.schema(schema).option("maxFilesPerTrigger", 1)
              .json(os.path.join(work, "in")))
    counts = (stream.withColumn("uid", F.coalesce(F.col("userId"), F.col("anonymousId")))
              .withColumn("ts", F.to_timestamp("timestamp"))
              .withWatermark("ts", "10 minutes")
              .groupBy("uid", "event", F.window("ts", "10 minutes", "5 minutes"))
              .count())
    out = os.path.join(work, "spark-out")
    query = (counts.writeStream.outputMode("append").format("json")
             .option("path", out).option("checkpointLocation", os.path.join(work, "spark-ckpt"))
             .trigger(availableNow=True).start())
    query.awaitTermination()
    rows = session.read.json(out).collect() if os.path.exists(out) and any(
        n.endswith(".json") for n in os.listdir(out)) else []
    result = []
    for r in rows:
        if r["uid"] == SENTINEL:
            continue
        start, end = r["window"]["start"], r["window"]["end"]
        result.append((r["uid"], r["event"], ms_of(start), ms_of(end), int(r["count"])))
    result.sort()
    with open(os.path.join(work, "spark.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for row in result:
            w.writerow(row)
    session.stop()
    print("spark wrote %d windows" % len(result))


def ms_of(value):
    from datetime import datetime, timezone
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "prepare-all":
        prepare_all(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "spark":
        spark(sys.argv[2])
    else:
        sys.exit("usage: windows_parity.py prepare EVENTS WORKDIR | spark WORKDIR")
