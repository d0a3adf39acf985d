extensions = ["sphinx_nbcache"]
nbcache_execution_mode = "cache"
numfig = True
# MyST-NB's own values, as a MyST-NB project has them
nb_kernel_rgx_aliases = {".*": "python3"}
nb_execution_excludepatterns = ["old.ipynb"]
nb_number_source_lines = True
nb_execution_in_temp = True  # cannot apply: one warning
nb_execution_show_tb = False  # MyST-NB's default: no warning
