# %% [markdown]
# # Percent script
#
# Some *prose*.

# %%
x = 1
print(x)
