#!/usr/bin/env bash
# Two feature stores of N users each for the diff benchmark, made cheaply:
# rtml creates an empty store (so the schema and meta are rtml's own), then
# SQL inside sqlite3 fills `features` (all 27 columns; an embedding for one
# user in ten) and `sequence_ids` with N users. green is a copy of blue with
# 1% of users' steps_mean_10m shifted, 1,000 users' ids rotated among
# themselves (remapped), and 1% more users (new).
# Usage: Benchmarks/diff/make-stores.sh RTML DIR [N]
set -euo pipefail
RTML=$1 DIR=$2 N=${3:-1000000}
mkdir -p "$DIR"
rm -f "$DIR"/blue.db* "$DIR"/green.db*
$RTML featurize --store "$DIR/blue.db" --color blue --quiet -o /dev/null < /dev/null
sqlite3 "$DIR/blue.db" > /dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N)
INSERT INTO features SELECT
  printf('u%07d', i),
  i % 4, i % 3, (i % 3) / 4.0,
  CASE WHEN i % 10 = 0 THEN zeroblob(256) END,
  ((i * 7) % 100) / 100.0, ((i * 11) % 100) / 100.0, ((i * 13) % 100) / 100.0, ((i * 17) % 100) / 100.0, ((i * 19) % 100) / 100.0,
  CASE WHEN i % 5 THEN ((i * 31) % 200 - 100) / 10.0 END, (i * 37) % 120,
  CASE WHEN i % 7 THEN ((i * 41) % 100 - 50) / 100.0 END, 60 + (i * 43) % 60,
  i % 3, i % 5, i % 2, i % 4, i % 6, i % 2, i % 3, 0, i % 2, 0,
  CASE i % 4 WHEN 0 THEN 'search' WHEN 1 THEN 'app.open' WHEN 2 THEN 'biometric' ELSE 'content.start' END,
  1795651200000 + i, 1795651200000 + i, 1795651200000 + i + 500
FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N)
INSERT INTO sequence_ids SELECT printf('u%07d', i), i FROM n;
COMMIT;
SQL
cp "$DIR/blue.db" "$DIR/green.db"
sqlite3 "$DIR/green.db" <<SQL
BEGIN;
UPDATE features SET steps_mean_10m = steps_mean_10m + 3.5 WHERE rowid % 100 = 1;
UPDATE meta SET value = 'green' WHERE key = 'color';
-- 1,000 users' ids rotated: each of them gets the next one's id.
UPDATE sequence_ids SET seq_id = -seq_id - 1 WHERE seq_id % 1000 = 500;
UPDATE sequence_ids SET seq_id = CASE WHEN -seq_id - 1 + 1000 < $N THEN -seq_id - 1 + 1000 ELSE 500 END WHERE seq_id < 0;
WITH RECURSIVE n(i) AS (SELECT $N UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N + $N / 100)
INSERT INTO features SELECT printf('u%07d', i), 1, 0, 0.0, NULL, 0.5, 0.5, 0.5, 0.5, 0.5, NULL, 10, NULL, 70,
  0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 'app.open', 1795737600000 + i, 1795737600000 + i, 1795737600000 + i FROM n;
WITH RECURSIVE n(i) AS (SELECT $N UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N + $N / 100)
INSERT INTO sequence_ids SELECT printf('u%07d', i), i FROM n;
COMMIT;
SQL
ls -l "$DIR"/blue.db "$DIR"/green.db >&2
