"""Times Surprise's SVDpp (its defaults, random_state=0) on MovieLens 100K's u1 split (or the splits named).

usage: PYTHONPATH=~/.cache/surprise-1.1.4 /usr/bin/python3 docs/peers/surprise-svdpp-fit.py ML100K_FOLDER [u1 u2 ...]
Prints one line per split: name, fit seconds (``algo.fit`` alone, as LatentLens's fit_time_s), test RMSE.
Surprise is built by ../shared/peers/build-surprise.sh (not a dependency of LatentLens).
"""
import sys
import time

from surprise import SVDpp, Dataset, Reader, accuracy
from surprise.model_selection import PredefinedKFold

folder = sys.argv[1]
names = sys.argv[2:] or ["u1"]
reader = Reader("ml-100k")
data = Dataset.load_from_folds([(f"{folder}/{n}.base", f"{folder}/{n}.test") for n in names], reader=reader)
for name, (trainset, testset) in zip(names, PredefinedKFold().split(data)):
    algo = SVDpp(random_state=0)
    start = time.perf_counter()
    algo.fit(trainset)
    fit = time.perf_counter() - start
    rmse = accuracy.rmse(algo.test(testset), verbose=False)
    print(f"{name} {fit:.4f} {rmse:.4f}", flush=True)
