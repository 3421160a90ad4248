"""Times Surprise's SVD (its defaults, random_state=0) on the canonical MovieLens 100K splits u1..u5.

usage: PYTHONPATH=~/.cache/surprise-1.1.4 /usr/bin/python3 docs/peers/surprise-svd-fit.py ML100K_FOLDER
Prints one line per split: name, fit seconds (``algo.fit`` alone, as LatentLens's fit_time_s), test RMSE.
Surprise is built by ../shared/peers/build-surprise.sh (not a dependency of LatentLens).
"""
import sys
import time

from surprise import SVD, Dataset, Reader, accuracy

folder = sys.argv[1]
reader = Reader("ml-100k")
folds = [(f"{folder}/u{i}.base", f"{folder}/u{i}.test") for i in range(1, 6)]
data = Dataset.load_from_folds(folds, reader=reader)
from surprise.model_selection import PredefinedKFold  # noqa: E402

for i, (trainset, testset) in enumerate(PredefinedKFold().split(data), start=1):
    algo = SVD(random_state=0)
    start = time.perf_counter()
    algo.fit(trainset)
    fit = time.perf_counter() - start
    rmse = accuracy.rmse(algo.test(testset), verbose=False)
    print(f"u{i} {fit:.4f} {rmse:.4f}", flush=True)
