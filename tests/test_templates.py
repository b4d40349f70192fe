"""Rules every template keeps."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_tables_scroll_sideways_only_in_the_shared_keyboard_box():
    """A box that scrolls must be reachable and scrollable by keyboard (axe rule
    scrollable-region-focusable); the `scroll_region` macro of _tables.html does that."""
    bare = [
        str(path.relative_to(TEMPLATES))
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.name != "_tables.html" and "table-responsive" in path.read_text()
    ]
    assert bare == []
