extensions = ["sphinx_nbcache"]
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
