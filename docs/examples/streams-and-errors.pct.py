# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Streams and errors
#
# A jupytext *percent script* (`.pct.py`): a plain Python file whose `# %%` comments split
# it into cells. It shows standard output, standard error and an error that the notebook
# expects.

# %%
import math
import sys

print("standard output: one line")
print("and another, in the same block")

# %% [markdown]
# ## Standard error
#
# Text written to `sys.stderr` gets its own block, styled differently.
# `nbcache_output_stderr` can also remove it or turn it into a build warning.

# %%
print("this line went to stderr", file=sys.stderr)
print("this one to stdout")

# %% [markdown]
# ## An expected error
#
# The next cell raises. Its `raises-exception` tag tells the kernel runner to carry on, and
# the traceback becomes the cell's output; without the tag the notebook would fail (and the
# build would warn). The tag belongs to the cache key: adding or removing it executes the
# notebook again.

# %% tags=["raises-exception"]
def mean(values):
    return sum(values) / len(values)


mean([])

# %% [markdown]
# ## Long output, folded
#
# `hide-output` folds the output under a "Show output" switch.

# %% tags=["hide-output"]
for n in range(1, 11):
    print(f"{n:2d}! = {math.factorial(n):>8d}")
