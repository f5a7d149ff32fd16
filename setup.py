"""Which files the package holds (the rest of its metadata is in pyproject.toml).

Every ``lgs_core*`` package (found, so a new subpackage ships without an edit here), and the files the code
reads that developers keep beside lgs_core/: the queries of sql/ and docs/DEFINITIONS.md. An installed copy
holds them inside the package, as lgs_core/_sql/ and lgs_core/_docs/ (``lgs_core.sqlfiles.source_dir``
finds either). In setup.py because pyproject.toml's ``packages`` is either a list or a search, not both: the
two data packages live in other folders than their names say.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["lgs_core", "lgs_core.*"]), "lgs_core._sql", "lgs_core._docs"],
    package_dir={"lgs_core._sql": "sql", "lgs_core._docs": "docs"},
    package_data={"lgs_core._sql": ["**/*.sql"], "lgs_core._docs": ["DEFINITIONS.md"]},
)
