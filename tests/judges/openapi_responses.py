#!/usr/bin/env python3
"""Judge of the answers against the OpenAPI document (server/tests/common, every in-process
request of the server's tests): openapi-schema-validator checks each JSON answer's body
against the schema the document gives for its path, method, status and media type.

Reads lines from stdin: the first is the document; each following one a JSON object
{"method", "path", "status", "type", "body"} (body: the answer's text). Answers each with one
line: "ok", "skip <why>" (a path the document does not describe, not JSON) or
"error <what is wrong>". Nothing else is printed.

    openapi_responses.py < lines
"""
import json
import re
import sys

from openapi_schema_validator import OAS30Validator

JSON_TYPES = ("application/json", "application/geo+json", "application/problem+json",
              "application/schema+json")


def templates(doc):
    """(regex, literal segment count, path item) of every documented path."""
    out = []
    for path, item in doc["paths"].items():
        parts = path.strip("/").split("/") if path.strip("/") else []
        rx = "^/" + "/".join(
            "[^/]+" if re.fullmatch(r"\{[^}]+\}", p) else re.escape(p) for p in parts
        ) + ("/?$" if path.endswith("/") and parts else "$")
        literal = sum(1 for p in parts if not p.startswith("{"))
        out.append((re.compile(rx), literal, path, item))
    return out


def judge(doc, tmpl, validators, s):
    path = s["path"]
    found = [t for t in tmpl if t[0].match(path)]
    if not found:
        if path.startswith("/api/v1/") and s["status"] not in (404, 405):
            return "error no documented path matches %s %s (answered %d)" % (
                s["method"], path, s["status"])
        return "skip undocumented path"
    _, _, tpath, item = max(found, key=lambda t: t[1])
    method = s["method"].lower()
    op = item.get(method)
    if op is None:
        if method in ("head", "options") or s["status"] == 405:
            return "skip method"
        return "error %s %s is not documented, yet it answered %d" % (
            s["method"].upper(), tpath, s["status"])
    responses = op.get("responses", {})
    r = responses.get(str(s["status"])) or responses.get("default")
    if r is None:
        return "error %s %s answered %d, which its documented answers (%s) do not list" % (
            s["method"].upper(), tpath, s["status"], ", ".join(responses))
    if "$ref" in r:
        name = r["$ref"].rsplit("/", 1)[-1]
        r = doc["components"]["responses"][name]
    media = s["type"].split(";")[0].strip().lower()
    content = r.get("content")
    if not content:
        return "skip no content documented"
    mt = None
    for k, v in content.items():
        if k.split(";")[0].strip().lower() == media:
            mt = v
    if mt is None:
        return "error %s %s answered %d as %r; the document gives %s" % (
            s["method"].upper(), tpath, s["status"], media, ", ".join(content))
    if media not in JSON_TYPES and not media.endswith("+json"):
        return "skip not JSON"
    schema = mt.get("schema")
    if schema is None:
        return "skip no schema"
    try:
        body = json.loads(s["body"])
    except ValueError as e:
        return "error %s %s answered %d with a body that is not JSON: %s" % (
            s["method"].upper(), tpath, s["status"], e)
    key = json.dumps(schema, sort_keys=True)
    v = validators.get(key)
    if v is None:
        root = dict(schema)
        root["components"] = doc.get("components", {})
        v = OAS30Validator(root)
        validators[key] = v
    errs = sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errs:
        e = errs[0]
        at = "/".join(str(p) for p in e.absolute_path)
        return "error %s %s answered %d: at /%s: %s (schema path %s; %d error(s))" % (
            s["method"].upper(), tpath, s["status"], at, e.message[:300],
            "/".join(str(p) for p in e.absolute_schema_path), len(errs))
    return "ok"


def main() -> int:
    doc = json.loads(sys.stdin.readline())
    tmpl = templates(doc)
    validators = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = judge(doc, tmpl, validators, json.loads(line))
        except Exception as e:  # noqa: BLE001 — the judge itself failing is an error
            out = "error the judge failed: %r" % (e,)
        sys.stdout.write(out.replace("\n", " ") + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
