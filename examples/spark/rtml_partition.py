"""rtml's user partition, recomputed in Python (docs/scale-out.md).

partition(key, n) is the partition `rtml ingest --partition I/N` and
`rtml partition N` give the user `key` (userId, else anonymousId): Hash128
of the key's UTF-8 bytes with seed 0, low 64-bit lane, modulo n.
"""
import json

M64 = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _fmix(k):
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & M64
    k ^= k >> 33
    return k


def hash128(data, seed=0):
    """rtml's Hash128 (Sources/RTMLCore/Common/Hash128.swift): (high, low)."""
    n = len(data)
    a = (0x9E3779B97F4A7C15 ^ seed ^ ((n * 0xC2B2AE3D27D4EB4F) & M64)) & M64
    b = (0x165667B19E3779F9 + seed) & M64
    for i in range(0, n, 8):
        # Whole 8-byte words, then the 1-7 byte tail zero-padded: both little-endian.
        w = int.from_bytes(data[i:i + 8], "little")
        a = (_rotl(a ^ ((w * 0x87C37B91114253D5) & M64), 31) * 0x4CF5AD432745937F) & M64
        b = _rotl(((b + w) * 0x52DCE729) & M64, 27) ^ a
    a = _fmix((a + b) & M64)
    b = _fmix(b ^ _rotl(a, 17))
    return a, b


def partition(key, n):
    """The partition of the entity key `key` (str or bytes) among n."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    return hash128(key)[1] % n


def _first_wins(pairs):
    record = {}
    for name, value in pairs:
        record.setdefault(name, value)
    return record


def _refuse_constant(name):
    raise ValueError(name + " is not JSON")


def entity_key(line):
    """userId when a non-empty string, else anonymousId when one, else None.

    As rtml reads it: the first of repeated keys, NaN/Infinity not JSON."""
    try:
        record = json.loads(line, object_pairs_hook=_first_wins, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    for name in ("userId", "anonymousId"):
        value = record.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def line_partition(line, n):
    """The partition of one log line (bytes, without its line ending), as
    `rtml partition` places it: by its entity key, else by its raw bytes."""
    key = entity_key(line)
    return partition(key, n) if key is not None else partition(line, n)


if __name__ == "__main__":
    import sys
    n = int(sys.argv[1])
    for key in sys.argv[2:]:
        high, low = hash128(key.encode("utf-8"))
        print(f"{key}\t{high:016x}{low:016x}\t{low % n}")
