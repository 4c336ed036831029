#!/usr/bin/env python3
"""Judge of the alerts' Atom feeds (server/tests/alerts.rs): parses a feed with feedparser
and prints what it found as JSON. Exit status 1 when the feed is not well-formed (bozo) or
is not Atom 1.0.

    atom_feed.py FEED.xml
"""
import json
import sys

import feedparser


def main() -> int:
    raw = open(sys.argv[1], "rb").read()
    d = feedparser.parse(raw)
    out = {
        "bozo": int(d.bozo),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "version": d.version,
        "feed": {
            "id": d.feed.get("id"),
            "title": d.feed.get("title"),
            "updated": d.feed.get("updated"),
            "author": d.feed.get("author"),
            "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")}
                      for l in d.feed.get("links", [])],
        },
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "link": e.get("link"),
                "updated": e.get("updated"),
                "summary": e.get("summary"),
                "tags": [t.get("term") for t in e.get("tags", [])],
            }
            for e in d.entries
        ],
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0 if d.bozo == 0 and d.version == "atom10" else 1


if __name__ == "__main__":
    sys.exit(main())
