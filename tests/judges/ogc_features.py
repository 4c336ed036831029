#!/usr/bin/env python3
"""OGC API - Features Part 1 Core judge: runs the `ogctests` suite (PyPI) against a server.

Usage: python ogc_features.py http://127.0.0.1:PORT/ogc

ogctests' CLI exits 0 even when tests fail, so this calls
`ogctests.main.run_ogctests('features/core', URL, flags=[...])`, checks its return code and
reads the per-test outcomes from a JUnit XML report. Prints a JSON summary on stdout and
exits 0 only if every test passed, apart from the tests listed in KNOWN_WRONG, which must
fail for exactly the documented reason (see docs/api.md, "OGC API - Features").
"""
import json
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

# Tests of ogctests that we judge wrong, with the text their failure must contain.
KNOWN_WRONG = {
    # /ats/core/crs84 asks that every geometry be CRS84, which we do; but the test asserts
    # that the *Part 2* conformance class ".../ogcapi-features-2/1.0/conf/crs" is declared.
    # Part 1 Core servers serve CRS84 only and must not claim Part 2.
    "test_ast2": "ogcapi-features-2/1.0/conf/crs",
}


# Printed before the JSON summary (pytest writes its own report to stdout first).
SUMMARY_MARK = "=== ogc judge summary ==="


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url = sys.argv[1].rstrip("/")
    from ogctests.main import run_ogctests

    with tempfile.TemporaryDirectory() as tmp:
        xml_path = os.path.join(tmp, "report.xml")
        code = run_ogctests(
            "features/core",
            url,
            flags=["-rf", "-q", "-p", "no:cacheprovider", f"--junitxml={xml_path}"],
        )
        if not os.path.exists(xml_path):
            print(json.dumps({"error": f"ogctests produced no report (pytest exit {code})"}))
            return 1
        root = ET.parse(xml_path).getroot()

    passed, failed, skipped, known = [], [], [], []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None:
            message = (failure.get("message") or "") + "\n" + (failure.text or "")
            reason = KNOWN_WRONG.get(name)
            if reason is not None and reason in message:
                known.append({"test": name, "why": reason})
            else:
                failed.append({"test": name, "message": message.strip()[:2000]})
        elif case.find("skipped") is not None:
            skipped.append(name)
        else:
            passed.append(name)
    summary = {
        "pytest_exit": int(code),
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "known_wrong_failed_as_documented": known,
    }
    print(SUMMARY_MARK)
    print(json.dumps(summary, indent=1))
    ok = not failed and len(passed) > 0
    # pytest exits 1 when any test failed; that is expected only for the known-wrong ones.
    if int(code) not in (0, 1) or (int(code) == 1 and not known):
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
