# %% [markdown]
# # First

# %%
import os
open(os.environ['NBCACHE_TEST_LOG'], 'a').write('a_first\n')
print("first says", 6 * 7)
