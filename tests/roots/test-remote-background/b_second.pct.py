# %% [markdown]
# # Second
#
# It runs after `a_first` was stored, and looks for its bundle in the remote (the folder
# `remote` next to the test's log) while the build is still executing.

# %%
import os, pathlib, time
log = pathlib.Path(os.environ['NBCACHE_TEST_LOG'])
log.open('a').write('b_second\n')
bundles = log.parent / 'remote' / 'bundles'
deadline = time.monotonic() + 60  # a bound, not a measure: the upload takes milliseconds
while not list(bundles.glob('*.nbbundle')) and time.monotonic() < deadline:
    time.sleep(0.02)
print("bundles in the remote while executing:", len(list(bundles.glob('*.nbbundle'))))
