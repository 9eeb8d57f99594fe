"""Time a per-batch CutMix fit that follows a per-sample CutMix fit in the same process (issue: the kernel changed torch's threads).
Run with OMP_NUM_THREADS=1, as the test command runs each notebook: `OMP_NUM_THREADS=1 python -W ignore tools/threads_after_per_sample.py`"""
import time, torch, statistics
from fastai.vision.all import *
from cutmix_fastai.all import *
from cutmix_fastai._testing import tiny_cnn
start_threads = torch.get_num_threads()
dls = idx_dls(n_train=1024, n_valid=256, bs=64)
def fit(cb):
    learn = Learner(dls, tiny_cnn(), loss_func=CrossEntropyLossFlat(), cbs=cb)
    with learn.no_bar(), learn.no_logging():
        t = time.perf_counter(); learn.fit(1, 1e-2); return time.perf_counter() - t
fit(CutMix())                                   # warm-up: imports, first batches
before = [fit(CutMix()) for _ in range(3)]      # per-batch fits before any per-sample one
fit(CutMix(per_sample=True))                    # starts the kernel's thread pool
threads_after = torch.get_num_threads()
after = [fit(CutMix()) for _ in range(3)]       # the same per-batch fits, after it
print(f"torch threads: {start_threads} at the start, {threads_after} after a per-sample fit")
print(f"per-batch CutMix fit, 1 epoch of 1024 images: median {statistics.median(before):.2f} s before the per-sample fit, "
      f"{statistics.median(after):.2f} s after it (runs: {', '.join(f'{t:.2f}' for t in before)} | {', '.join(f'{t:.2f}' for t in after)})")
