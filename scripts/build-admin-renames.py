#!/usr/bin/env python3
"""Builds data/admin/renames-2025.csv: every pre-2025 commune-level unit (old province,
district, ward) with the post-1 July 2025 unit(s) it became (new province, ward).

Source: the MIT-licensed PyPI package `vietnamadminunits` (pinned below), its
`data/dataset.db` (tables `admin_units_legacy`, `admin_units`) and
`data/converter_2025.json` (`DICT_PROVINCE_WARD_NO_DIVIDED`, `DICT_PROVINCE_WARD_DIVIDED`).

Usage: scripts/build-admin-renames.py [--python PY]   (default target/judges-venv/bin/python)
The package is installed with pip into that venv (no dependencies are needed: the script
reads the package's data files, it does not import it).
"""
import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

PACKAGE = "vietnamadminunits"
VERSION = "1.0.4"
REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "admin" / "renames-2025.csv"


def package_dir(python: str) -> Path:
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", f"{PACKAGE}=={VERSION}"],
        check=True,
    )
    out = subprocess.run(
        [python, "-c",
         "import importlib.util as u; print(u.find_spec('vietnamadminunits').submodule_search_locations[0])"],
        check=True, capture_output=True, text=True,
    )
    return Path(out.stdout.strip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=str(REPO / "target" / "judges-venv" / "bin" / "python"))
    args = ap.parse_args()
    pkg = package_dir(args.python)
    db = sqlite3.connect(pkg / "data" / "dataset.db")
    conv = json.loads((pkg / "data" / "converter_2025.json").read_text(encoding="utf-8"))

    legacy = {}
    for prov, dist, ward, pk, dk, wk in db.execute(
        "SELECT province, district, ward, provinceKey, districtKey, wardKey FROM admin_units_legacy"
    ):
        legacy[f"{pk}_{dk}_{wk}"] = (prov, dist, ward)
    new = {}
    for prov, ward, pk, wk, code, lat, lon in db.execute(
        "SELECT province, ward, provinceKey, wardKey, wardCode, wardLat, wardLon FROM admin_units"
    ):
        new[(pk, wk)] = (prov, ward, code, lat, lon)

    pairs = {}  # (old key, new province key, new ward key) -> divided
    for npk, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nwk, olds in wards.items():
            for old in olds:
                pairs.setdefault((old, npk, nwk), 0)
    for npk, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, targets in olds.items():
            for t in targets:
                pairs[(old, npk, t["newWardKey"])] = 1

    rows, missing = [], 0
    for (old, npk, nwk), divided in pairs.items():
        if old not in legacy or (npk, nwk) not in new:
            missing += 1
            continue
        op, od, ow = legacy[old]
        np_, nw, code, lat, lon = new[(npk, nwk)]
        rows.append([op, od, ow, np_, nw, code, f"{lat:.5f}", f"{lon:.5f}", divided])
    rows.sort()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["old_province", "old_district", "old_ward", "new_province", "new_ward",
                    "new_ward_code", "new_lat", "new_lon", "divided"])
        w.writerows(rows)
    olds = len({tuple(r[:3]) for r in rows})
    print(f"{OUT.relative_to(REPO)}: {len(rows)} rows, {olds} old units of {len(legacy)}, "
          f"{len({tuple(r[3:5]) for r in rows})} new units of {len(new)}; {missing} keys unmatched",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
