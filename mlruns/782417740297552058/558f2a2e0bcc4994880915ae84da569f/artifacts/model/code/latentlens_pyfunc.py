"""MLflow python_function flavor of a LatentLens model (the `model/` artifact of a LatentLens run).

Written by LatentLens into each model's `code/` folder; uses only NumPy and pandas.

    import mlflow
    model = mlflow.pyfunc.load_model("runs:/<run_id>/model")        # or "models:/LatentLens-SVD@champion"
    model.predict(pandas.DataFrame({"user": ["1", "2"], "item": ["31", "260"]}))   # ratings, as the API's
    model.unwrap_python_model().recommend("1", k=10)                 # [(item, score), ...], as the API's list

Predictions follow GET /users/{u}/items/{i}/prediction: mu + b_u + b_i + p_u . q_i clipped to the rating
scale, the terms of an unknown user or item dropped. Recommendations follow GET /users/{u}/recommendations:
the top k by the model's ranking score (ranking_bias, else b_i, plus p_u . q_i; for an item-based model such
as ease, sum over the user's training items h of x_h * B[h, j], x_h the rating or 1), without the items the user
rated in training, ties by the lower item index.
"""
import json
import os

import numpy as np
import pandas as pd


class LatentLensModel:
    def __init__(self, path):
        with open(os.path.join(path, "model.json"), encoding="utf-8") as f:
            header = json.load(f)
        arrays = header.get("arrays", {})

        def load(name):
            return np.load(os.path.join(path, arrays.get(name, name + ".npy")))

        self.algorithm = header.get("algorithm")
        self.factors = int(header["factors"])
        self.global_mean = float(header["global_mean"])
        self.rating_scale = (float(header["rating_scale"][0]), float(header["rating_scale"][1]))
        self.predicts_ratings = header.get("predicts_ratings", True) is not False
        self.users = {u: n for n, u in enumerate(header["users"])}
        self.items = list(header["items"])
        self.item_index = {i: n for n, i in enumerate(self.items)}
        self.user_factors = load("user_factors").astype(np.float32).reshape(len(self.users), self.factors)
        self.item_factors = load("item_factors").astype(np.float32).reshape(len(self.items), self.factors)
        self.user_bias = load("user_bias").astype(np.float32)
        self.item_bias = load("item_bias").astype(np.float32)
        self.ranking_bias = load("ranking_bias").astype(np.float32) if "ranking_bias" in arrays else self.item_bias
        self.rated_offsets = load("rated_offsets")
        self.rated_items = load("rated_items")
        # An item-based model (ease): the sparse item x item weights B, row h holding what history entry h adds.
        self.weight_offsets = load("item_weight_offsets") if "item_weight_offsets" in arrays else None
        if self.weight_offsets is not None:
            self.weight_items = load("item_weight_items")
            self.weight_values = load("item_weight_values").astype(np.float64)
            self.weights_binary = bool(header.get("item_weights_binary", False))
            self.rated_values = load("rated_values").astype(np.float64) if "rated_values" in arrays else None
        # mlflow's PyFuncModel.unwrap_python_model() returns this object.
        self.python_model = self

    @staticmethod
    def _id(value):
        # Ids are stored as the API writes them: whole numbers in canonical form.
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        text = str(value)
        return str(int(text)) if text.isdigit() else text

    def predict(self, model_input, params=None):
        if not self.predicts_ratings:
            raise ValueError(f"the model ({self.algorithm}) ranks items but does not predict ratings; use recommend()")
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if not {"user", "item"}.issubset(frame.columns):
            raise ValueError("the input needs the columns 'user' and 'item'")
        low, high = self.rating_scale
        out = np.empty(len(frame), dtype=np.float64)
        for n, (user, item) in enumerate(zip(frame["user"], frame["item"])):
            u = self.users.get(self._id(user))
            i = self.item_index.get(self._id(item))
            estimate = self.global_mean
            if u is not None:
                estimate += float(self.user_bias[u])
            if i is not None:
                estimate += float(self.item_bias[i])
            if u is not None and i is not None and self.factors > 0:
                estimate += float(np.dot(self.user_factors[u].astype(np.float64), self.item_factors[i].astype(np.float64)))
            out[n] = min(max(estimate, low), high)
        return out

    def recommend(self, user, k=10, exclude_rated=True):
        u = self.users.get(self._id(user))
        if u is None:
            raise KeyError(f"user {user!r} is not in the model's training data")
        scores = self.ranking_bias.astype(np.float64).copy()
        if self.factors > 0:
            scores += self.item_factors.astype(np.float64) @ self.user_factors[u].astype(np.float64)
        if self.weight_offsets is not None:
            first, last = self.rated_offsets[u], self.rated_offsets[u + 1]
            binary = self.weights_binary or self.rated_values is None
            for n in range(first, last):
                h = self.rated_items[n]
                a, b = self.weight_offsets[h], self.weight_offsets[h + 1]
                scores[self.weight_items[a:b]] += (1.0 if binary else self.rated_values[n]) * self.weight_values[a:b]
        if exclude_rated:
            scores[self.rated_items[self.rated_offsets[u]:self.rated_offsets[u + 1]]] = -np.inf
        order = np.argsort(-scores, kind="stable")
        top = [n for n in order[:k] if np.isfinite(scores[n])]
        return [(self.items[n], float(scores[n])) for n in top]


def _load_pyfunc(path):
    return LatentLensModel(path)
