"""``python -m sphinx_nbcache`` runs the ``nbcache`` command line."""

from sphinx_nbcache.cli import main

if __name__ == "__main__":
    main()
