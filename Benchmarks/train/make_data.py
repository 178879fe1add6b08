"""Generates the training benchmark's inputs once (deterministic seeds).

  make_data.py regression OUT.csv OUT.npz ROWS COLS   # y = X·w + noise, correlated columns
  make_data.py interactions OUT.csv USERS ITEMS NNZ  # implicit feedback, low-rank tastes
"""
import sys
import numpy as np


def regression(csv_path, npz_path, rows, cols):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((rows, cols))
    # Some correlation between neighbouring columns, as real features have.
    x = base + 0.3 * np.roll(base, 1, axis=1)
    w = rng.standard_normal(cols) * (rng.random(cols) < 0.6)
    y = x @ w + 0.5 * rng.standard_normal(rows) + 3.0
    np.savez(npz_path, x=x, y=y)
    header = ",".join([f"x{j}" for j in range(cols)] + ["y"])
    np.savetxt(csv_path, np.column_stack([x, y]), delimiter=",", fmt="%.6g", header=header, comments="")


def interactions(csv_path, users, items, nnz):
    rng = np.random.default_rng(11)
    f = 16
    u = rng.standard_normal((users, f))
    v = rng.standard_normal((items, f))
    popularity = rng.permutation((np.arange(items) + 10.0) ** -0.9)
    cdf = np.cumsum(popularity / popularity.sum())
    per_user = np.maximum(1, rng.poisson(nnz / users, users))
    rows_u, rows_i = [], []
    for a in range(users):
        k = per_user[a]
        # Candidates by popularity, kept by taste.
        cand = np.unique(np.minimum(np.searchsorted(cdf, rng.random(4 * k)), items - 1))
        chosen = cand[np.argsort(-(v[cand] @ u[a]))[:k]]
        rows_u.append(np.full(len(chosen), a))
        rows_i.append(chosen)
    uu = np.concatenate(rows_u)
    ii = np.concatenate(rows_i)
    strength = rng.integers(1, 4, len(uu))
    np.savetxt(csv_path, np.column_stack([uu, ii, strength]), delimiter=",", fmt="%d", header="user,item,strength", comments="")


if __name__ == "__main__":
    if sys.argv[1] == "regression":
        regression(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        interactions(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
