"""Sphinx configuration of Ember's documentation site.

The source folder is docs/ (so the guides, docs/*.md, are pages of the
site) and this folder holds the configuration and the API reference pages;
tests/run-all.sh builds it with warnings as errors:

    PYTHONPATH=build/test/python sphinx-build -W -c docs/api docs build/test/docs

The reference is made by autodoc from the docstrings of the built `ember`
package (Google style, read by napoleon), the native classes included.
"""
import importlib.util
from typing import Any, List, Optional

project = "Ember"
author = "the Ember authors"
copyright = "the Ember authors"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
root_doc = "api/index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns: list = []
# The guides link to source files of the repository (src/..., tests/...),
# which are not pages of the site.
suppress_warnings = ["myst.xref_missing"]
# ember.aio is documented once the package has it (`setup` then lists its
# page in the index).
HAVE_AIO = importlib.util.find_spec("ember.aio") is not None
if not HAVE_AIO:
    exclude_patterns.append("api/aio.rst")

# `Name` in a docstring links to the documented object when there is one
# and is set as code otherwise.
default_role = "py:obj"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# A native class's constructor signature is the first line of its
# `__init__` docstring (nanobind's); "both" lets autodoc find it there.
autoclass_content = "both"
python_use_unqualified_type_names = True

myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "Ember"
html_show_sourcelink = False


def _list_aio(app: Any, docname: str, source: List[str]) -> None:
    if docname == "api/index" and HAVE_AIO:
        source[0] = source[0].replace("\n   reference\n", "\n   reference\n   aio\n", 1)


def _drop_self(app: Any, what: str, name: str, obj: Any, options: Any,
               signature: Optional[str], return_annotation: Optional[str]) -> Any:
    """Native methods' signatures (nanobind's docstring lines) name `self`;
    Python ones, read by inspection, do not: drop it for one look."""
    if signature and (signature.startswith("(self, ") or signature == "(self)"):
        signature = "(" + signature[len("(self"):].lstrip(", ")
    return signature, return_annotation


def setup(app: Any) -> None:
    app.connect("source-read", _list_aio)
    app.connect("autodoc-process-signature", _drop_self)
