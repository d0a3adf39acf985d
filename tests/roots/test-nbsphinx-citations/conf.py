extensions = ["sphinx_nbcache", "sphinxcontrib.bibtex"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "off"
bibtex_bibfiles = ["refs.bib"]
bibtex_reference_style = "author_year"
