"""The console's shared template pieces (bot/web/templates/_macros.html), rendered by the console's
own Jinja environment: data_table (the wrapped table or its empty message, an optional note above
and pager below) and pager (the first/previous/next/last links, with the audit log's per-link
cursor changes). No server and no browser."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import make_mocked_request

from bot.texts import tr
from bot.web.render import Paging, environment

TABLE = ('{% from "_macros.html" import data_table with context %}'
         '{% call data_table(rows, "things", "没有记录", note=note, paging=paging, total=total, links=links,'
         ' empty_id=empty_id, empty_class=empty_class) %}'
         '<tbody>{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}</tbody>{% endcall %}')


class _Tags(HTMLParser):
    """(tag, attributes, the text up to the next tag, white space trimmed) for every start tag."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], str]] = []
        self.feed(html)
        self.tags = [(tag, attrs, text.strip()) for tag, attrs, text in self.tags]

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), ""))

    def handle_data(self, data):
        if self.tags:
            tag, attrs, text = self.tags[-1]
            self.tags[-1] = (tag, attrs, text + data)


def _render(rows, *, query="", note=None, paging=False, total=0, links=None, empty_id=None, empty_class="muted",
            lang="zh"):
    request = make_mocked_request("GET", "/admin/things" + query)
    pages = Paging.parse(request, size=10) if paging else None
    html = environment().from_string(TABLE).render(
        t=lambda key, **values: tr(lang, key, **values), request=request, rows=rows, note=note, paging=pages,
        total=total, links=links, empty_id=empty_id, empty_class=empty_class)
    return _Tags(html).tags


def _links(tags):
    return [(text, attrs.get("rel"), parse_qs(urlsplit(attrs["href"] or "").query))
            for tag, attrs, text in tags if tag == "a"]


def test_rows_are_wrapped_and_no_rows_give_the_empty_message():
    tags = _render(["甲", "乙"])
    assert [(tag, attrs.get("class")) for tag, attrs, _ in tags[:2]] == [("div", "table-wrap"), ("table", "data things")]
    assert [text for tag, _, text in tags if tag == "td"] == ["甲", "乙"]
    assert not any(tag == "p" or tag == "nav" for tag, _, _ in tags)

    assert _render([]) == [("p", {"class": "muted"}, "没有记录")]
    assert _render([], empty_id="things-none", empty_class=None) == [("p", {"id": "things-none"}, "没有记录")]


def test_a_note_stands_above_the_table_only_when_there_are_rows():
    tags = _render(["甲"], note="共 1 条提示")
    assert tags[0] == ("p", {"class": "muted"}, "共 1 条提示") and tags[1][0] == "div"
    assert _render([], note="共 1 条提示") == [("p", {"class": "muted"}, "没有记录")]


def test_the_pager_links_first_previous_next_and_last_in_both_languages():
    tags = _render(["甲"], query="?page=3&q=张", paging=True, total=45)
    nav = [attrs for tag, attrs, _ in tags if tag == "nav"]
    assert nav == [{"class": "pager", "aria-label": "分页"}]
    spans = {attrs["class"]: text for tag, attrs, text in tags if tag == "span"}
    assert spans == {"count": "共 45 条", "at": "第 3 / 5 页"}
    links = _links(tags)
    assert [(text, rel, q["page"]) for text, rel, q in links] == [
        ("«", None, ["1"]), ("‹ 上一页", "prev", ["2"]), ("下一页 ›", "next", ["4"]), ("»", None, ["5"])]
    assert all(q["q"] == ["张"] and q["size"] == ["10"] for _, _, q in links)  # the rest of the query is kept

    english = _render(["a"], query="?page=3", paging=True, total=45, lang="en")
    assert [text for text, _, _ in _links(english)] == ["«", "‹ Previous", "Next ›", "»"]
    assert ("span", {"class": "at"}, "Page 3 of 5") in english


def test_the_first_page_has_no_way_back_and_the_last_no_way_on():
    first = _links(_render(["甲"], paging=True, total=45))
    assert [(text, q["page"]) for text, _, q in first] == [("下一页 ›", ["2"]), ("»", ["5"])]
    last = _links(_render(["甲"], query="?page=5", paging=True, total=45))
    assert [(text, q["page"]) for text, _, q in last] == [("«", ["1"]), ("‹ 上一页", ["4"])]
    alone = _render(["甲"], paging=True, total=7)
    assert _links(alone) == [] and ("span", {"class": "at"}, "第 1 / 1 页") in alone


def test_per_link_changes_set_and_drop_query_parameters():
    links = {"first": {"after": None, "n": None}, "prev": {"before": "c-new", "after": None},
             "next": {"after": "c-old", "n": 45}, "last": {"last": 1, "after": None}}
    tags = _render(["甲"], query="?page=3&after=c-was&n=45", paging=True, total=45, links=links)
    got = {text: q for text, _, q in _links(tags)}
    assert "after" not in got["«"] and "n" not in got["«"] and got["«"]["page"] == ["1"]
    assert got["‹ 上一页"]["before"] == ["c-new"] and "after" not in got["‹ 上一页"] and got["‹ 上一页"]["n"] == ["45"]
    assert got["下一页 ›"]["after"] == ["c-old"] and got["下一页 ›"]["page"] == ["4"]
    assert got["»"]["last"] == ["1"] and "after" not in got["»"] and got["»"]["page"] == ["5"]
