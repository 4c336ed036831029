#!/usr/bin/python3
"""Runs the GDAL commands of the `qgis-gdal` lesson as a trainee would copy them.

    /usr/bin/python3 tests/judges/gdal_lesson.py BASE_URL [LANG]

Fetches BASE_URL/api/v1/lessons?lang=LANG (default en), takes every code block
(`<pre><code>…</code></pre>`) of the lesson `qgis-gdal`, HTML-unescapes it, joins lines
continued with a backslash, and runs each line whose first word is `ogrinfo` or `ogr2ogr`:
split like a POSIX shell does (shlex), no shell, in a fresh temporary directory. After an
`ogr2ogr`, every file it wrote there is read back with `ogrinfo -ro -so -al`. The commands run
one after the other in the same directory, as in one terminal (a later `ogrinfo` reads the
GeoPackage an earlier `ogr2ogr` wrote).

Prints one JSON document:

    {"lesson": true|false, "lessons": [ids...], "commands": [
        {"text": "...", "argv": [...], "exit": 0, "stdout": "...", "stderr": "...",
         "layers": {"parcels": 1045}            # ogrinfo's "Layer name"/"Feature Count"
         "outputs": {"quyhoach.gpkg": {"parcels": 1045}}}  # ogr2ogr only
    ]}

Exit status 0 when the lesson was found (the JSON says how each command went), 3 when the
lessons API has no `qgis-gdal` lesson, 4 when the API could not be read.
"""

import html
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.request

CODE_BLOCK = re.compile(r"<pre[^>]*>\s*<code[^>]*>(.*?)</code>\s*</pre>", re.S | re.I)


def counts(text):
    """Layer name → feature count from ogrinfo's summary output."""
    out = {}
    layer = None
    for line in text.splitlines():
        if line.startswith("Layer name: "):
            layer = line[len("Layer name: "):].strip()
        elif line.startswith("Feature Count: ") and layer is not None:
            try:
                out[layer] = int(line[len("Feature Count: "):].strip())
            except ValueError:
                out[layer] = None
    return out


def commands(lesson):
    """Every ogrinfo/ogr2ogr command line in the lesson's code blocks, in order."""
    texts = []
    for step in lesson.get("steps", []):
        for field in ("html", "summary"):
            for block in CODE_BLOCK.findall(step.get(field) or ""):
                text = html.unescape(re.sub(r"<[^>]+>", "", block))
                text = text.replace("\\\r\n", " ").replace("\\\n", " ")
                for line in text.splitlines():
                    line = line.strip()
                    if line.startswith("$ "):
                        line = line[2:]
                    first = line.split(None, 1)[0] if line else ""
                    if first in ("ogrinfo", "ogr2ogr"):
                        texts.append(line)
    return texts


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    base = sys.argv[1].rstrip("/")
    lang = sys.argv[2] if len(sys.argv) > 2 else "en"
    try:
        with urllib.request.urlopen(f"{base}/api/v1/lessons?lang={lang}", timeout=120) as r:
            doc = json.load(r)
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        print(json.dumps({"lesson": False, "error": f"GET /api/v1/lessons: {e}"}))
        return 4
    lessons = doc.get("lessons", [])
    lesson = next((l for l in lessons if l.get("id") == "qgis-gdal"), None)
    out = {"lesson": lesson is not None, "lessons": [l.get("id") for l in lessons]}
    if lesson is None:
        print(json.dumps(out, ensure_ascii=False))
        return 3
    out["available"] = lesson.get("available", True)
    env = dict(os.environ, GDAL_HTTP_TIMEOUT="60", CPL_DEBUG="OFF")
    results = []
    work = tempfile.mkdtemp(prefix="gdal-lesson-")
    for text in commands(lesson):
        res = {"text": text}
        before = {n: os.stat(os.path.join(work, n)).st_mtime_ns for n in os.listdir(work)}
        try:
            argv = shlex.split(text)
        except ValueError as e:
            res.update(argv=None, exit=None, error=f"not shell-splittable: {e}")
            results.append(res)
            continue
        res["argv"] = argv
        p = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=300)
        res.update(exit=p.returncode, stdout=p.stdout[-20000:], stderr=p.stderr[-4000:])
        res["layers"] = counts(p.stdout)
        if argv[0] == "ogr2ogr":
            outputs = {}
            for name in sorted(os.listdir(work)):
                if before.get(name) == os.stat(os.path.join(work, name)).st_mtime_ns:
                    continue
                q = subprocess.run(
                    ["ogrinfo", "-ro", "-so", "-al", os.path.join(work, name)],
                    env=env, capture_output=True, text=True, timeout=120,
                )
                outputs[name] = counts(q.stdout) if q.returncode == 0 else {"error": q.stderr[-2000:]}
            res["outputs"] = outputs
        results.append(res)
    out["commands"] = results
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
