"""What pyproject.toml cannot say: the Alembic revisions, kept in the repository's top-level
``migrations/`` directory, ship inside the wheel as ``ccop_cases/migrations`` (where
``ccop_cases.migrate`` looks first), so an installed copy needs no checkout."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["ccop_cases*", "crypto*", "audit*"]),
              "ccop_cases.migrations", "ccop_cases.migrations.versions"],
    package_dir={"ccop_cases.migrations": "migrations"},
)
