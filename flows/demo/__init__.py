"""The bundled demo portal and its generated report files.

Its own libraries come with the `[demo]` extra (`pip install 'nianbao[demo]'`); a production install
leaves them out, so `nianbao demo` checks for them first.
"""

from __future__ import annotations

from importlib.util import find_spec

# Import name → distribution of the libraries only the demo uses (the `[demo]` extra).
DEMO_LIBRARIES: dict[str, str] = {"reportlab": "reportlab", "PIL": "pillow", "docx": "python-docx"}


def missing_libraries() -> list[str]:
    """The `[demo]` extra's distributions that are not installed (empty when the demo can run)."""
    return [dist for module, dist in DEMO_LIBRARIES.items() if find_spec(module) is None]
