#!/bin/sh
# mkpackages.sh writes Packages, a Berkeley DB hash database laid out as rpm
# 4.14 (RHEL 7/8) keeps /var/lib/rpm/Packages: header blobs keyed by their
# instance number (native byte order), with the instance counter under key 0.
# The headers are the alma9 fixture's (../rpmheaders). Needs db5.3-util; the
# result can be checked with:
#   rpm --dbpath "$PWD" --define '_db_backend bdb_ro' -qa
set -eu
cd "$(dirname "$0")"
python3 - <<'PY' >packages.txt
import struct
names = ["bash", "openssl-libs", "openssh-server", "shadow-utils", "sudo", "kernel-core"]
def esc(b):
    return "".join("\\%02x" % c for c in b)
for i, n in enumerate(names, 1):
    print(esc(struct.pack("<I", i)))
    print(esc(open("../rpmheaders/%s.hdr" % n, "rb").read()))
print(esc(struct.pack("<I", 0)))
print(esc(struct.pack("<I", len(names))))
PY
rm -f Packages
db5.3_load -T -t hash -c db_pagesize=4096 -f packages.txt Packages
rm -f packages.txt
