# %% [markdown]
# # A Script
#
# ## Script Section

# %%
1 + 1
