"""No line break inside a number (issue 15.4): « 6 000 » or « 4,5 % » typed with an ordinary space in prose, a published table or
a glued text is written with a narrow no-break space (U+202F, as :mod:`evalkit.fr` writes numbers), so that a narrow
window never shows « 6 » at the end of a line and « 000 » at the start of the next.

A post-transform of every page: text nodes outside code and literals, and the text (not the tags, styles or scripts)
of raw HTML nodes (notebook outputs, glued HTML). Only digit groups are touched: 1 to 3 digits, then groups of
exactly 3 digits each after one ordinary space (« 30 541 », « 1 000 000 »), and the space between a number and « % »
or « € » (« 4,5 % »); years side by side (« 2015 2016 ») are not a number and are left alone. The browser test (tests/test_browser.py) checks the built pages.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

NNBSP = "\u202f"
_NUMBER = re.compile(r"(?<![\w,.\u202f\u00a0])(\d{1,3})((?: \d{3})+)(?!\w)")
_TAG_OR_BLOCK = re.compile(r"(<(script|style)\b.*?</\2\s*>|<!--.*?-->|<[^>]*>)", re.DOTALL | re.IGNORECASE)
_SKIP = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.comment, nodes.target)


_UNIT = re.compile(r"(?<=\d) (?=[%€](?!\w))")


def fix_text(text: str) -> str:
    """``text`` with the ordinary spaces between the digit groups of a number, and between a number and « % » or
    « € », made narrow no-break spaces."""
    return _UNIT.sub(NNBSP, _NUMBER.sub(lambda m: m.group(1) + m.group(2).replace(" ", NNBSP), text))


def fix_html(html: str) -> str:
    """:func:`fix_text` applied to the text of an HTML fragment, never inside a tag, a script, a style or a comment."""
    out, pos = [], 0
    for m in _TAG_OR_BLOCK.finditer(html):
        out.append(fix_text(html[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fix_text(html[pos:]))
    return "".join(out)


class NoBreakNumbers(SphinxPostTransform):
    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.Text)):
            parent = node.parent
            if parent is None or isinstance(parent, _SKIP) or any(isinstance(a, _SKIP) for a in _ancestors(parent)):
                continue
            if isinstance(parent, nodes.raw):
                if "html" not in parent.get("format", "").split():
                    continue
                new = fix_html(str(node))
            else:
                new = fix_text(str(node))
            if new != str(node):
                parent.replace(node, nodes.Text(new))


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def setup(app):
    app.add_post_transform(NoBreakNumbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
