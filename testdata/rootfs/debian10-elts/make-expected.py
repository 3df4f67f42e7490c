#!/usr/bin/env python3
"""Writes expected-findings.txt: for every installed binary package of this
fixture, each Debian:10 advisory in ../shared/data/osv_advisories/debian_elts
whose range covers the package's source version, decided by
`dpkg --compare-versions` (an oracle independent of vigil's code).
Run from the repository root: python3 testdata/rootfs/debian10-elts/make-expected.py
"""
import glob, json, os, re, subprocess

here = os.path.dirname(os.path.abspath(__file__))
elts = os.path.join(here, "..", "..", "..", "..", "shared", "data", "osv_advisories", "debian_elts")

def lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0

pkgs = []
for stanza in open(os.path.join(here, "var/lib/dpkg/status")).read().split("\n\n"):
    f = dict(re.findall(r"^([A-Za-z-]+): (.*)$", stanza, re.M))
    if f.get("Status") != "install ok installed":
        continue
    src, srcver = f["Package"], f["Version"]
    if "Source" in f:
        m = re.match(r"(\S+)(?: \((.*)\))?", f["Source"])
        src, srcver = m.group(1), m.group(2) or f["Version"]
    pkgs.append((f["Package"], src, srcver))

lines = []
for path in sorted(glob.glob(os.path.join(elts, "*.json"))):
    adv = json.load(open(path))
    for aff in adv["affected"]:
        if aff["package"]["ecosystem"] != "Debian:10":
            continue
        for rng in aff["ranges"]:
            ev = rng["events"]
            assert [list(e) for e in ev] == [["introduced"], ["fixed"]] and ev[0]["introduced"] == "0", path
            for name, src, ver in pkgs:
                if src == aff["package"]["name"] and lt(ver, ev[1]["fixed"]):
                    lines.append(f"{name} {ver} {adv['id']} {ev[1]['fixed']}")
open(os.path.join(here, "expected-findings.txt"), "w").write("\n".join(sorted(set(lines))) + "\n")
