"""A mailing made ready to send: its Markdown rendered once, sanitised with nh3 (the
maintained ammonia bindings) down to a small allow-list, wrapped in the organisation's header,
footer and postal address, and cut into a list of fixed text and slots. A recipient's message
is then a join of that list: merge values, the tracked links, the unsubscribe and preference
links are all that differ from one person to the next."""

import html
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
from flask import current_app, render_template
from markdown_it import MarkdownIt

from crm.outreach.merge import TAG, MergeError, check
from crm.outreach.plaintext import html_to_text

TAGS = {"a", "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h1", "h2", "h3",
        "h4", "blockquote", "hr", "img", "table", "thead", "tbody", "tr", "th", "td", "code",
        "pre", "span", "div"}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
              "th": {"align"}, "td": {"align"}}  # fmt: skip
SCHEMES = {"http", "https", "mailto"}
SLOT = re.compile(r"xQz(field|link|unsubscribe|preferences|pixel)(\d*)Qx")
_markdown = MarkdownIt("commonmark", {"html": True, "typographer": False})


def sanitise(markup: str) -> str:
    return nh3.clean(markup, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES)


@dataclass
class Compiled:
    subject: list
    preheader: list
    html: list
    text: list
    links: list[str]
    fields: set[str]
    merges: list[tuple[str, str]] = field(default_factory=list)  # slot number -> (field, fallback)


class _Builder:
    def __init__(self, source_code: str | None, money_allowed: bool):
        self.merges: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.source_code = source_code
        self.money_allowed = money_allowed

    def slots(self, text: str, where: str) -> str:
        """The text with its merge fields turned into slots (checked first)."""
        check(text, where, self.money_allowed)

        def slot(match):
            self.merges.append((match.group(1), (match.group(2) or "").strip().strip("\"'")))
            return f"xQzfield{len(self.merges) - 1}Qx"

        return TAG.sub(slot, text)

    def markdown(self, text: str, where: str) -> str:
        markup = sanitise(_markdown.render(self.slots(text, where)))
        return re.sub(r'<a href="([^"]*)"', lambda m: self._link(m.group(1), where), markup)

    def _link(self, escaped: str, where: str) -> str:
        url = html.unescape(escaped)
        if "xQzfield" in url:
            raise MergeError(f"{where}: a merge field cannot be part of a link's address ({url}).")
        if url.startswith("mailto:"):
            return f'<a href="{escaped}"'
        url = self._with_source(_absolute(url))
        self.links.append(url)
        return f'<a href="xQzlink{len(self.links) - 1}Qx"'

    def _with_source(self, url: str) -> str:
        """Gifts through a giving link carry the mailing's source code."""
        base = current_app.config["BASE_URL"].rstrip("/")
        if not self.source_code or not url.startswith(base + "/give"):
            return url
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if any(key == "source" for key, _ in query):
            return url
        return urlunsplit(parts._replace(query=urlencode([*query, ("source", self.source_code)])))


def _absolute(url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        return current_app.config["BASE_URL"].rstrip("/") + url
    return url


def split(text: str) -> list:
    """Fixed text and slots ("field", n) / ("link", n) / ("unsubscribe", None) ..."""
    parts, last = [], 0
    for match in SLOT.finditer(text):
        parts.append(text[last : match.start()])
        number = int(match.group(2)) if match.group(2) else None
        parts.append((match.group(1), number))
        last = match.end()
    parts.append(text[last:])
    return [p for p in parts if p != ""]


def compile_mailing(mailing, settings, money_allowed: bool) -> Compiled:
    """Raises MergeError for a broken or unknown merge field, or one in a link."""
    builder = _Builder(mailing.source_code, money_allowed)
    subject = builder.slots(mailing.subject, "Subject")
    preheader = builder.slots(mailing.preview_text or "", "Preview text")
    header = builder.markdown(settings.header or "", "Header (email settings)")
    body = builder.markdown(mailing.body, "Message")
    footer = builder.markdown(settings.footer or "", "Footer (email settings)")
    context = {"subject": subject, "preheader": preheader, "header": header, "body": body,
               "footer": footer, "address": settings.postal_address or "",
               "topic": mailing.topic, "track_opens": settings.track_opens,
               "reason": reason(mailing)}  # fmt: skip
    markup = render_template("outreach/email/mailing.html", **context)
    text = render_template("outreach/email/mailing.txt", **context,
                           header_text=_text(header), body_text=_text(body),
                           footer_text=_text(footer))  # fmt: skip
    return Compiled(
        subject=split(subject), preheader=split(preheader), html=split(markup), text=split(text),
        links=builder.links, fields={name for name, _ in builder.merges}, merges=builder.merges,
    )  # fmt: skip


def reason(mailing) -> str:
    """Why the person gets this message, printed in its footer."""
    org = current_app.config["ORG_NAME"]
    if mailing.event is not None and mailing.topic is None:
        return f"You receive this because you registered for {mailing.event.title}."
    if mailing.shift is not None and mailing.topic is None:
        return f"You receive this because you signed up to volunteer: {mailing.shift.title}."
    topic = mailing.topic.phrase if mailing.topic else "these emails"
    return f"You receive {topic} from {org} because you said yes to it."


def _text(markup: str) -> str:
    return html_to_text(markup).strip() if markup else ""


@dataclass(frozen=True)
class Links:
    """What the per-recipient slots become: built by the sender, or by the preview."""

    link: object  # callable(number) -> URL
    unsubscribe: str
    preferences: str
    pixel: str


def fill(parts: list, compiled: Compiled, values: dict, links: Links, escape: bool) -> str:
    out = []
    for part in parts:
        if type(part) is str:
            out.append(part)
            continue
        kind, number = part
        if kind == "field":
            name, fallback = compiled.merges[number]
            value = values.get(name) or fallback
        elif kind == "link":
            value = links.link(number)
        else:
            value = getattr(links, kind)
        out.append(html.escape(value) if escape else value)
    return "".join(out)
