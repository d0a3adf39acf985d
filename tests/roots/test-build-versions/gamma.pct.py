# %% [markdown]
# # Gamma
#
# A percent script that fails.

# %%
import os
open(os.environ['NBCACHE_TEST_LOG'], 'a').write('gamma\n')

# %%
print("gamma before the failure")

# %%
1 / 0
