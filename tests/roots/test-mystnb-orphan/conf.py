extensions = ["sphinx_nbcache"]
nbcache_execution_mode = "off"
# MyST-NB's docs silence its warning about outputs of no renderable type (plotly, bokeh)
suppress_warnings = ["mystnb.unknown_mime_type"]
