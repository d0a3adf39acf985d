# %% [markdown]
# # Gamma
#
# A percent script.

# %%
import os
open(os.environ['NBCACHE_TEST_LOG'], 'a').write('gamma\n')

# %%
print("gamma says", sum(range(5)))
