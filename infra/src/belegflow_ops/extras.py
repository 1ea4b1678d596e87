"""Commands that run a service's code in the CLI's process need that service's package, an extra of belegflow-ops.

The CLI itself needs contracts only (the ops image installs nothing else); such a command imports the package
inside itself, after ``require`` has said, in one line, what is missing and how to get it.
"""

from __future__ import annotations

import importlib.util

import typer

# extra of belegflow-ops -> the package it installs
EXTRAS = {"ocr": "belegflow_ocr", "books": "belegflow_export"}


def missing(extra: str) -> str | None:
    """What to tell the operator when the package of ``extra`` is not installed; None when it is."""
    module = EXTRAS[extra]
    if importlib.util.find_spec(module) is not None:
        return None
    return (f"this command runs {module} in this process, which this installation lacks: install "
            f"'belegflow-ops[{extra}]' (with the repository's packages, as `make install` does)")


def require(extra: str) -> None:
    """Exit 2 with that message when the package of ``extra`` is missing."""
    message = missing(extra)
    if message is not None:
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2)
