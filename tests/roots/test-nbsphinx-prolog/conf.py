extensions = ["sphinx_nbcache"]
exclude_patterns = ["_build"]
nbcache_execution_mode = "off"
nbsphinx_prolog = r"""
{% set source = env.doc2path(env.docname, base=False)|string %}
.. note:: Prolog of {{ env.docname }} ({{ source }}).
"""
nbsphinx_epilog = "Epilog *after* {{ env.docname }}, {{ 'x_y'|escape_latex }}."
# nbsphinx values that cannot apply: one warning each
nbsphinx_codecell_lexer = "python3"
nbsphinx_prompt_width = "8ex"
