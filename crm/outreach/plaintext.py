"""The plain-text part of a message, read from its sanitised HTML (so Markdown and the small
HTML allow-list both come out right): paragraphs and list items on their own lines, a link's
address after its words."""

import re
from html.parser import HTMLParser

BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "table", "tr", "pre"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list] = []  # [kind, next number]
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in BLOCKS:
            self._break(2)
        if tag in ("ul", "ol"):
            self.lists.append([tag, 1])
        elif tag == "li":
            self._break(1)
            kind = self.lists[-1] if self.lists else ["ul", 1]
            self.out.append("  " * max(len(self.lists) - 1, 0))
            self.out.append(f"{kind[1]}. " if kind[0] == "ol" else "- ")
            kind[1] += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self._break(2)
            self.out.append("----")
            self._break(2)
        elif tag == "a":
            self.href, self.link_text = attrs.get("href"), []
        elif tag == "img" and attrs.get("alt"):
            self.handle_data(f"[{attrs['alt']}]")
        elif tag in ("td", "th"):
            self.out.append("  ")

    def handle_endtag(self, tag):
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in BLOCKS:
            self._break(2)
        if tag == "a" and self.href is not None:
            words = "".join(self.link_text).strip()
            if self.href != words and not self.href.startswith("mailto:"):
                self.out.append(f" ({self.href})")
            self.href = None

    def handle_data(self, data):
        text = re.sub(r"\s+", " ", data)
        if not self.out or self.out[-1].endswith("\n"):
            text = text.lstrip()
        self.out.append(text)
        if self.href is not None:
            self.link_text.append(text)

    def _break(self, lines: int) -> None:
        joined = "".join(self.out[-3:])
        have = len(joined) - len(joined.rstrip("\n"))
        if self.out and have < lines:
            self.out.append("\n" * (lines - have))


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
