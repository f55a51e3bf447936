#!/usr/bin/env python3
"""Writes a synthetic Nessus v2 report for the import benchmark (docs/benchmarks.md).

    gen_nessus.py OUT --hosts 2000 --findings 100000 [--changed 10]

Findings are spread evenly over the hosts (plugin x host x port, Nessus's own unit).
With --changed P, every item whose index is a multiple of 100/P gets another plugin id:
a rescan of the same hosts where P% of the findings were fixed and as many are new.
Deterministic: the same arguments write the same bytes.
"""
import argparse
import random

SEVERITIES = [0, 1, 2, 2, 3, 3, 4]
TEXT = ("The remote host is affected by a vulnerability that allows an attacker to "
        "execute code or read data it should not. Upgrade the affected component to "
        "the latest version supplied by the vendor. ") * 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--findings", type=int, default=100000)
    ap.add_argument("--changed", type=float, default=0.0)
    a = ap.parse_args()
    rnd = random.Random(42)
    per_host = max(1, a.findings // a.hosts)
    step = int(round(100 / a.changed)) if a.changed > 0 else 0
    n = 0
    with open(a.out, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Policy><policyName>bench</policyName></Policy>\n<Report name="bench">\n')
        for h in range(a.hosts):
            ip = f"10.{h // 65536 % 256}.{h // 256 % 256}.{h % 256}"
            f.write(f'<ReportHost name="{ip}"><HostProperties><tag name="host-ip">{ip}</tag>'
                    f'<tag name="host-fqdn">srv{h}.bench.gov.vn</tag></HostProperties>\n')
            for k in range(per_host):
                if n >= a.findings:
                    break
                plugin = 10000 + k
                if step and n % step == 0:
                    plugin += 500000
                sev = SEVERITIES[rnd.randrange(len(SEVERITIES))]
                port = 1000 + k
                cve = f"CVE-20{10 + k % 14}-{1000 + (h * 7 + k) % 9000}"
                f.write(f'<ReportItem port="{port}" svc_name="svc{k}" protocol="tcp" severity="{sev}" '
                        f'pluginID="{plugin}" pluginName="Bench plugin {plugin}" pluginFamily="General">'
                        f'<description>{TEXT}</description><solution>Upgrade to the latest version.</solution>'
                        f'<risk_factor>Medium</risk_factor><cvss3_base_score>{4 + sev}.5</cvss3_base_score>'
                        f'<cve>{cve}</cve><plugin_output>Installed version : 1.{k}\nFixed version : 2.0</plugin_output>'
                        f'</ReportItem>\n')
                n += 1
            f.write('</ReportHost>\n')
        f.write('</Report>\n</NessusClientData_v2>\n')


if __name__ == "__main__":
    main()
