"""Fits implicit's AlternatingLeastSquares on interactions written by the Swift parity test.

Usage: python3 implicit_parity.py INPUT.json
INPUT holds users, items, rows, cols, weights (the training split) and the
parameters factors, regularization, alpha, iterations, seed. Prints
{"user_factors": [...], "item_factors": [...], "seconds": t} (row-major,
flattened) on stdout, or {"skip": reason} when implicit cannot be imported.

implicit uses the weight it is given, times its own alpha, as the confidence c
itself; rtml (like Hu, Koren & Volinsky) uses c = 1 + alpha * r. So implicit is
given 1 + alpha * r with its alpha left at 1.
"""
import json
import os
import sys
import time

# implicit warns, and runs slower, when BLAS starts its own thread pool.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def main():
    try:
        import numpy as np
        import scipy.sparse as sp
        from implicit.cpu.als import AlternatingLeastSquares
    except Exception as error:
        print(json.dumps({"skip": f"import implicit failed: {error}"}))
        return
    with open(sys.argv[1]) as f:
        data = json.load(f)
    weights = np.array(data["weights"], dtype=np.float32)
    confidence = 1.0 + data["alpha"] * weights
    user_items = sp.csr_matrix(
        (confidence, (np.array(data["rows"]), np.array(data["cols"]))),
        shape=(data["users"], data["items"]), dtype=np.float32)
    model = AlternatingLeastSquares(
        factors=data["factors"], regularization=data["regularization"], alpha=1.0,
        iterations=data["iterations"], random_state=data["seed"],
        num_threads=data.get("threads", 2), calculate_training_loss=False)
    start = time.perf_counter()
    model.fit(user_items, show_progress=False)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "user_factors": np.asarray(model.user_factors, dtype=np.float64).ravel().tolist(),
        "item_factors": np.asarray(model.item_factors, dtype=np.float64).ravel().tolist(),
        "factors": int(model.user_factors.shape[1]),
        "seconds": seconds,
    }))


if __name__ == "__main__":
    main()
