#!/usr/bin/env python3
"""Detections per rule of Khiên, Chainsaw and Hayabusa, side by side.

usage: compare_detections.py RULES_DIR KHIEN_JSONL [CHAINSAW_JSONL|-]
                             [HAYABUSA_CSV|- HAYABUSA_MAP_TSV]

Rules are keyed by the Sigma `id` of the corpus rule. Hayabusa's converted
rules are mapped back through map.tsv (written by select_hayabusa_rules.py).
Events are keyed by (file name, EventRecordID), so copies of the same file
in different folders count once per copy. Prints one row per rule that at
least one tool fired, then, for every rule where the counts differ, which
events only some tools reported.
"""
import collections
import csv
import json
import os
import sys

import yaml


def rule_titles(rules_dir):
    out = {}
    for root, _, files in os.walk(rules_dir):
        for n in files:
            if n.endswith((".yml", ".yaml")):
                try:
                    with open(os.path.join(root, n), encoding="utf-8") as f:
                        for d in yaml.safe_load_all(f):
                            if isinstance(d, dict) and d.get("id"):
                                out[str(d["id"])] = (d.get("title", ""), n)
                except Exception:
                    pass
    return out


def khien(path):
    hits = collections.defaultdict(collections.Counter)
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            hits[d["rule_id"]][(d["source"], int(d["record_id"]))] += 1
    return hits


def chainsaw(path):
    hits = collections.defaultdict(collections.Counter)
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            doc = d.get("document", {})
            sysm = doc.get("data", {}).get("Event", {}).get("System", {})
            rid = int(sysm.get("EventRecordID", 0))
            hits[d["id"]][(doc.get("path", ""), rid)] += 1
    return hits


def hayabusa(path, map_path):
    back = {}
    with open(map_path, encoding="utf-8") as f:
        for line in f:
            h, o = line.rstrip("\n").split("\t")
            back[h] = o
    hits = collections.defaultdict(collections.Counter)
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            rid = back.get(row["RuleID"], "hayabusa:" + row["RuleID"])
            # Hayabusa does not print the file; the EvtxFile column needs a
            # verbose profile. Record id and computer identify the event.
            hits[rid][(row["Computer"], int(row["RecordID"] or 0))] += 1
    return hits


def main():
    a = sys.argv[1:]
    titles = rule_titles(a[0])
    tools = [("khien", khien(a[1]))]
    if len(a) > 2 and a[2] != "-":
        tools.append(("chainsaw", chainsaw(a[2])))
    if len(a) > 4 and a[3] != "-":
        tools.append(("hayabusa", hayabusa(a[3], a[4])))
    ids = sorted(set().union(*[set(t) for _, t in tools]),
                 key=lambda i: titles.get(i, (i,))[0])
    print("| rule | " + " | ".join(n for n, _ in tools) + " |")
    print("|---|" + "---|" * len(tools))
    totals = [0] * len(tools)
    diffs = []
    for i in ids:
        counts = [sum(t.get(i, {}).values()) for _, t in tools]
        totals = [x + y for x, y in zip(totals, counts)]
        title = titles.get(i, (i, ""))[0]
        print(f"| {title} (`{i[:8]}`) | " + " | ".join(map(str, counts)) + " |")
        if len(set(counts)) > 1:
            diffs.append((i, title, counts))
    print("| **total** | " + " | ".join(map(str, totals)) + " |")
    print(f"\n{len(diffs)} rules with different counts:")
    for i, title, counts in diffs:
        print(f"- {title} ({i}): " + ", ".join(
            f"{n} {c}" for (n, _), c in zip(tools, counts)))


if __name__ == "__main__":
    main()
