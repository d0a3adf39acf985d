import os

extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "cache"
nbcache_env = {"NBCACHE_TEST_LOG": os.environ.get("NBCACHE_TEST_LOG", os.devnull)}
# as an nbsphinx project sets it: read as nbcache_kernel_arguments
nbsphinx_execute_arguments = ["--IPKernelApp.exec_lines=['answer = 42']"]
