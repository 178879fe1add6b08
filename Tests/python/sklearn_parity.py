"""Fits scikit-learn's reference models on data written by the Swift parity tests.

Usage: python3 sklearn_parity.py MODE INPUT.json
MODE is elasticnet, logistic, logistic_l1 or metrics. Prints one JSON object on stdout;
{"skip": reason} when scikit-learn cannot be imported, so the Swift test can
skip instead of failing on machines without it.
"""
import json
import sys


def main():
    mode, path = sys.argv[1], sys.argv[2]
    try:
        import numpy as np
        import sklearn
        from sklearn import linear_model, metrics
    except Exception as error:  # any import failure means "cannot compare here"
        print(json.dumps({"skip": f"import sklearn failed: {error}"}))
        return
    with open(path) as f:
        data = json.load(f)

    if mode == "elasticnet":
        x = np.array(data["x"], dtype=np.float64)
        y = np.array(data["y"], dtype=np.float64)
        model = linear_model.ElasticNet(
            alpha=data["alpha"], l1_ratio=data["l1_ratio"], tol=data["tol"],
            max_iter=data["max_iter"], fit_intercept=True, selection="cyclic")
        model.fit(x, y)
        out = {"coef": model.coef_.tolist(), "intercept": float(model.intercept_),
               "n_iter": int(model.n_iter_)}
    elif mode == "logistic":
        x = np.array(data["x"], dtype=np.float64)
        labels = np.array(data["labels"], dtype=np.int64)
        model = linear_model.LogisticRegression(C=data["C"], tol=data["tol"], max_iter=data["max_iter"])
        model.fit(x, labels)
        out = {"coef": model.coef_.tolist(), "intercept": model.intercept_.tolist(),
               "probabilities": model.predict_proba(x).tolist(), "n_iter": int(model.n_iter_.max())}
    elif mode == "logistic_l1":
        import warnings
        x = np.array(data["x"], dtype=np.float64)
        labels = np.array(data["labels"], dtype=np.int64)
        import inspect
        # scikit-learn 1.8 deprecated penalty= in favour of l1_ratio=1; earlier
        # releases ignore l1_ratio unless penalty="elasticnet".
        default = inspect.signature(linear_model.LogisticRegression).parameters["penalty"].default
        choice = {"l1_ratio": 1.0} if default == "deprecated" else {"penalty": "l1"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model = linear_model.LogisticRegression(
                C=data["C"], solver="saga", tol=data["tol"], max_iter=data["max_iter"], **choice)
            model.fit(x, labels)
        out = {"coef": model.coef_.tolist(), "intercept": model.intercept_.tolist(),
               "probabilities": model.predict_proba(x).tolist(), "n_iter": int(model.n_iter_.max())}
    elif mode == "metrics":
        probabilities = np.array(data["probabilities"], dtype=np.float64)
        labels = np.array(data["labels"], dtype=np.int64)
        classes = list(range(probabilities.shape[1]))
        out = {"log_loss": metrics.log_loss(labels, probabilities, labels=classes),
               "macro_auc": metrics.roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")}
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["sklearn_version"] = sklearn.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
