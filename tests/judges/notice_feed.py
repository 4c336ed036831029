#!/usr/bin/env python3
"""Judge of the notices' Atom feeds and pages (server/tests/notices.rs).

    notice_feed.py feed FEED.xml   feedparser's reading of the feed, with each entry's links
                                   (rel, href, type) and content; exit 1 unless Atom 1.0
                                   and well-formed
    notice_feed.py page PAGE.html  the page's <meta property/name> tags, <title>, <h1>,
                                   <img> and <a href> read by Python's HTML parser
"""
import json
import sys
from html.parser import HTMLParser

import feedparser


def feed(path: str) -> int:
    d = feedparser.parse(open(path, "rb").read())
    out = {
        "bozo": int(d.bozo),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "version": d.version,
        "feed": {
            "id": d.feed.get("id"),
            "title": d.feed.get("title"),
            "updated": d.feed.get("updated"),
            "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")}
                      for l in d.feed.get("links", [])],
        },
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "updated": e.get("updated"),
                "summary": e.get("summary"),
                "content": [c.get("value") for c in e.get("content", [])],
                "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")}
                          for l in e.get("links", [])],
                "enclosures": [{"href": x.get("href"), "type": x.get("type")}
                               for x in e.get("enclosures", [])],
            }
            for e in d.entries
        ],
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0 if d.bozo == 0 and d.version == "atom10" else 1


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta, self.imgs, self.links, self.scripts = {}, [], [], 0
        self.title, self.h1, self._in = "", "", None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a.get("name")] = a.get("content")
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "script":
            self.scripts += 1
        elif tag in ("title", "h1"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


def page(path: str) -> int:
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    print(json.dumps({"meta": p.meta, "title": p.title, "h1": p.h1, "imgs": p.imgs,
                      "links": p.links, "scripts": p.scripts}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(feed(sys.argv[2]) if sys.argv[1] == "feed" else page(sys.argv[2]))
