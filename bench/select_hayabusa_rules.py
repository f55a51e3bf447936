#!/usr/bin/env python3
"""Copies Hayabusa's converted versions of a set of Sigma rules.

Hayabusa drops raw Sigma rules whose logsource has no Channel/EventID in
its filter, so it has to be given the rules as converted in the
hayabusa-rules repository (folder `sigma/`). A converted rule keeps the
original `id`, or gets a new id with the original as the last `related`
entry of `type: derived`; process_creation rules become two (Sysmon 1 and
Security 4688). Rules only `similar` to a corpus rule, deprecated
predecessors and threat-hunting variants are not taken.

usage: select_hayabusa_rules.py SIGMA_RULES_DIR HAYABUSA_RULES_REPO OUT_DIR

Writes OUT_DIR/*.yml and OUT_DIR/map.tsv (hayabusa rule id, original id).
"""
import os
import shutil
import sys

import yaml


def rule_docs(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]
    except Exception:
        return []


def main():
    src, repo, out = sys.argv[1:4]
    wanted = set()
    for root, _, files in os.walk(src):
        for n in files:
            if n.endswith((".yml", ".yaml")):
                for d in rule_docs(os.path.join(root, n)):
                    if d.get("id"):
                        wanted.add(str(d["id"]))
    os.makedirs(out, exist_ok=True)
    rows = []
    for root, _, files in os.walk(os.path.join(repo, "sigma")):
        for n in sorted(files):
            if not n.endswith(".yml"):
                continue
            p = os.path.join(root, n)
            for d in rule_docs(p)[:1]:
                hid = str(d.get("id", ""))
                # The conversion appends the original id as the last
                # `derived` relation; other relations (similar, obsolete,
                # an original rule's own `derived`) name other rules.
                derived = [str(r.get("id")) for r in d.get("related") or []
                           if isinstance(r, dict) and r.get("type") == "derived"]
                orig = hid if hid in wanted else None
                if orig is None and derived and derived[-1] in wanted:
                    orig = derived[-1]
                if orig:
                    rel = os.path.relpath(p, repo).replace(os.sep, "_")
                    shutil.copy(p, os.path.join(out, rel))
                    rows.append((hid, orig))
    with open(os.path.join(out, "map.tsv"), "w", encoding="utf-8") as f:
        for hid, orig in sorted(rows):
            f.write(f"{hid}\t{orig}\n")
    print(
        f"{len(rows)} hayabusa rules for {len({o for _, o in rows})} of "
        f"{len(wanted)} rules",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
