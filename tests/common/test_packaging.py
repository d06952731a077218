"""The package's metadata builds without deprecation warnings from setuptools."""

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_license_is_an_spdx_expression_setuptools_understands():
    project = tomllib.loads(PYPROJECT.read_text())
    # The `{ text = … }` table is deprecated (a warning at every install); the SPDX string
    # form needs setuptools 77 or later in the build environment.
    assert project["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in project["build-system"]["requires"]
