"""The peer side of the training benchmark, timed around the fit only.

  reference.py enet DATA.npz ALPHA L1_RATIO MODEL_JSON   # scikit-learn ElasticNet; compares to rtml's model.json
  reference.py als-store STORE.db FACTORS ITERS REG ALPHA
  reference.py als-table TABLE.csv FACTORS ITERS REG ALPHA
Prints one JSON line.
"""
import json
import sqlite3
import sys
import time


def enet(npz, alpha, l1_ratio, model_json):
    import numpy as np
    from sklearn.linear_model import ElasticNet
    data = np.load(npz)
    x, y = data["x"], data["y"]
    t0 = time.perf_counter()
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-4, max_iter=1000, selection="cyclic").fit(x, y)
    seconds = time.perf_counter() - t0
    ours = json.load(open(model_json))
    names = [f"x{j}" for j in range(x.shape[1])]
    diff = max(abs(ours["coefficients"][n] - c) for n, c in zip(names, model.coef_))
    print(json.dumps({"fit_seconds": seconds, "n_iter": int(model.n_iter_),
                      "max_coef_diff_vs_rtml": diff, "intercept_diff": abs(ours["intercept"] - model.intercept_)}))


def als(matrix, factors, iters, reg, alpha):
    import numpy as np
    import implicit
    from threadpoolctl import threadpool_limits
    # implicit takes the confidence itself; rtml's is 1 + alpha*r on observed pairs.
    conf = matrix.copy()
    conf.data = 1.0 + alpha * conf.data
    model = implicit.cpu.als.AlternatingLeastSquares(
        factors=factors, regularization=reg, alpha=1.0, iterations=iters, random_state=1,
        use_cg=True, num_threads=2, calculate_training_loss=False)
    with threadpool_limits(1, "blas"):
        t0 = time.perf_counter()
        model.fit(conf.astype(np.float32), show_progress=False)
        seconds = time.perf_counter() - t0
    print(json.dumps({"fit_seconds": seconds, "seconds_per_iteration": seconds / iters,
                      "users": matrix.shape[0], "items": matrix.shape[1], "nnz": int(matrix.nnz),
                      "implicit_version": implicit.__version__}))


def store_matrix(path):
    from scipy.sparse import csr_matrix
    db = sqlite3.connect(path)
    rows = db.execute("""
        SELECT s.seq_id, i.seq_id, sum(CASE e.event WHEN 'content.start' THEN 1.0 WHEN 'content.complete' THEN 2.0
               ELSE (CASE WHEN e.position_sec * 1000 < 60000 THEN -0.75 ELSE 0 END) END) AS r
        FROM events e JOIN sequence_ids s ON s.user_id = e.user_id JOIN item_ids i ON i.content_id = e.content_id
        WHERE e.event IN ('content.start', 'content.complete', 'content.exit') GROUP BY 1, 2 HAVING r > 0""").fetchall()
    users = db.execute("SELECT max(seq_id) + 1 FROM sequence_ids").fetchone()[0]
    items = db.execute("SELECT max(seq_id) + 1 FROM item_ids").fetchone()[0]
    u, i, r = zip(*rows)
    return csr_matrix((r, (u, i)), shape=(users, items))


def table_matrix(path):
    import numpy as np
    from scipy.sparse import csr_matrix
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    u, i, r = data[:, 0].astype(int), data[:, 1].astype(int), data[:, 2]
    # rtml numbers users and items by first appearance; the shapes and nonzeros are what matter for time.
    return csr_matrix((r, (u, i)))


if __name__ == "__main__":
    try:
        import numpy  # noqa: F401
    except Exception as error:
        print(json.dumps({"skip": str(error)}))
        sys.exit(0)
    mode = sys.argv[1]
    try:
        if mode == "enet":
            enet(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
        elif mode == "als-store":
            als(store_matrix(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
        else:
            als(table_matrix(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
    except ImportError as error:
        print(json.dumps({"skip": str(error)}))
