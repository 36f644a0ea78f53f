#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes the seed corpus of one fuzz target into a scratch directory.

    seeds.py TARGET DIR

Seeds are the fixtures under tests/fixtures (read, never written), prefixed
with the byte that picks the parser in targets that hold several (see
fuzz.h), plus a few records built here from the ABI headers' constants for
the binary decoders. `make fuzz` calls it for every target before running it.
"""
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def header_define(header, name):
    text = open(os.path.join(ROOT, "include", "jobtrace", header)).read()
    m = re.search(r"#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)" % name, text)
    if not m:
        sys.exit("seeds.py: no #define %s in %s" % (name, header))
    return int(m.group(1), 0)


def fixtures(match):
    """Fixture files whose path (relative to tests/fixtures) @match accepts."""
    out = []
    for d, _, files in os.walk(FIXTURES):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), FIXTURES)
            if match(rel, f):
                out.append(os.path.join(d, f))
    return sorted(out)


def named(*names):
    return lambda rel, f: f in names


def under(part, *names):
    return lambda rel, f: ("/%s/" % part) in "/" + rel and (not names or f in names)


def image(root, subdirs, depth=6, keep=None):
    """A directory tree as one buffer: "path\\0content\\0" per file (sysfs_dir's image).

    @keep, a regex, limits it to the files the parser reads: an image walk
    costs the square of its records, and a fuzzer's speed is its reach."""
    out = bytearray()
    for sub in subdirs:
        top = os.path.join(root, sub)
        for d, dirs, files in os.walk(top, followlinks=True):
            rel = os.path.relpath(d, root)
            if rel.count("/") >= depth:
                dirs[:] = []
            for f in sorted(files):
                if keep and not re.fullmatch(keep, f):
                    continue
                p = os.path.join(d, f)
                try:
                    data = open(p, "rb").read(4096)
                except OSError:
                    continue
                out += os.path.relpath(p, root).encode() + b"\0" + data + b"\0"
    return bytes(out)


def cn_proc_msgs():
    # nlmsghdr, cn_msg (CN_IDX_PROC 1, CN_VAL_PROC 1), proc_event: fork, exec, exit.
    msgs = []
    for what, body in ((0x1, struct.pack("<4I", 100, 100, 101, 101)),
                       (0x2, struct.pack("<2I", 101, 101)),
                       (0x80000000, struct.pack("<6I", 101, 101, 0, 9, 100, 100))):
        ev = struct.pack("<IIQ", what, 1, 123456789) + body
        cn = struct.pack("<IIIIHH", 1, 1, 7, 0, len(ev), 0) + ev
        nl = struct.pack("<IHHII", 16 + len(cn), 3, 0, 7, 0) + cn
        msgs.append(nl)
    return [b"".join(msgs)] + msgs


def lineage_recs():
    v = header_define("lineage.h", "JT_ABI_VERSION")
    args = header_define("lineage.h", "JT_ARGS_LEN")
    recs = []
    for pick, typ, size in ((0, 1, 160), (1, 2, 32 + args), (2, 3, 56)):
        body = struct.pack("<HHIQI", v, typ, size, 42, 1234)
        recs.append(bytes([pick]) + body + b"\0" * (size - len(body)))
    return recs


def stream_images():
    magic = header_define("stream.h", "JT_STREAM_MAGIC")
    version = header_define("stream.h", "JT_STREAM_VERSION")
    meta_size = header_define("stream.h", "JT_STREAM_META_SIZE")
    cap = 4096
    data = bytearray()
    seq = 0
    for typ, size in ((1, 200), (3, 640), (4, 400), (6, 504), (0, 0)):
        if typ == 0:
            size = cap - len(data)
            hdr = struct.pack("<IHHQ", size, 0, version, 0)
        else:
            seq += 1
            hdr = struct.pack("<IHHQ", size, typ, version, seq)
        data += hdr + b"\0" * (size - len(hdr))
    meta = struct.pack("<QIIQQQIIII8s", magic, version, meta_size, cap, 0x1234, 0, 1, 1, 1024,
                       0, b"")
    meta += struct.pack("<Q56sQQQ", 1744, b"", 1744, 1240, seq)
    meta = meta.ljust(meta_size, b"\0")
    return [meta + bytes(data), meta[:64]]


def literal(pick, *texts):
    return [(pick, t.encode()) for t in texts]


# target: [(pick or None, files or literal bytes), ...]
def seeds(target):
    P = lambda pick, match: [(pick, f) for f in fixtures(match)]
    if target == "fuzz_proc_pid":
        return (P(0, named("stat")) + P(1, named("statm")) + P(2, named("status")) +
                P(3, named("smaps_rollup")) + P(4, named("io")) + P(5, named("cmdline")) +
                P(6, named("cgroup")) + P(7, named("environ")) + P(8, named("children")) +
                P(9, named("status")) +
                literal(10, "/usr/lib/libc.so.6 (deleted)", "socket:[12345]", "/a\\nb"))
    if target == "fuzz_proc_stat":
        return P(0, named("stat")) + P(1, named("loadavg")) + P(2, named("uptime"))
    if target == "fuzz_meminfo":
        return P(0, named("meminfo")) + P(1, named("zoneinfo")) + P(2, named("vmstat"))
    if target == "fuzz_proc_maps":
        return P(0, named("maps")) + P(1, named("limits"))
    if target == "fuzz_proc_fd":
        return (P(0, under("fdinfo")) +
                literal(0, "pos:\t0\nflags:\t0100002\nmnt_id:\t25\nino:\t1\n") +
                literal(1, "socket:[12345]", "pipe:[678]", "anon_inode:[eventfd]",
                        "/tmp/x (deleted)", "/dev/pts/3", "net:[4026531840]"))
    if target == "fuzz_fd_list":
        return literal(None,
                       "fd/0\0/dev/pts/3\0fdinfo/0\0pos:\t0\nflags:\t0100002\nmnt_id:\t25\n\0"
                       "fd/1\0pipe:[678]\0fd/3\0/tmp/x (deleted)\0fdreg/3\0\0"
                       "fdinfo/3\0pos:\t4096\nflags:\t02100001\n\0"
                       "fd/4\0socket:[12345]\0fd/5\0anon_inode:[eventfd]\0fd/abc\0/x\0",
                       "fd/7\0/" + "a" * 4100,
                       "fd/2/x\0\0fd/2\0/y\0fd/02\0/z")
    if target == "fuzz_proc_walk":
        out = []
        for root in (os.path.join(FIXTURES, "ps", "proc"), os.path.join(FIXTURES, "proc")):
            if os.path.isdir(root):
                subs = [d for d in sorted(os.listdir(root)) if d.isdigit()]
                out.append((0, image(root, subs, depth=1, keep=r"stat")))
        pairs = lambda ps: b"".join(struct.pack("<ii", a, b) for a, b in ps)
        out += [(1, pairs([(0, 0), (1, 0), (2, 0), (5, 1), (6, 5), (7, 6)])),
                (1, pairs([(60, 61), (61, 60), (40, 40), (50, 7)])),
                (1, pairs([(5, 1), (5, 1), (6, 5), (1, 0)])),
                (1, pairs([(i + 1, i) for i in range(400)]))]
        return out
    if target == "fuzz_disk_classify":
        out = []
        base = os.path.join(FIXTURES, "disk")
        procs = [p for p in ("proc-4.18", "proc-5.5", "proc-2.6.18") if
                 os.path.exists(os.path.join(base, p, "diskstats"))]
        for sys_dir in ("sys", "sys-stat", "sys-2.6.18", "sys-stat-ugly"):
            root = os.path.join(base, sys_dir)
            if not os.path.isdir(root):
                continue
            img = image(root, ["block", "class/block"], depth=5)
            out.append((1, img))
            for p in procs:
                text = open(os.path.join(base, p, "diskstats"), "rb").read()
                out.append((0, text + b"\0" + img))
        return out
    if target == "fuzz_netdev_addrs":
        def entry(flags, fa, fm, name, addr=b"", mask=b""):
            return bytes([flags, fa, fm]) + name + b"\0" + addr.ljust(28, b"\0") + \
                mask.ljust(28, b"\0")
        v4 = lambda ip: struct.pack("<H", 2) + b"\0\0" + bytes(ip)
        v6 = lambda ip, scope=0: struct.pack("<H", 10) + b"\0" * 6 + bytes(ip) + \
            struct.pack("<I", scope)
        lo6 = [0] * 15 + [1]
        ll6 = [0xfe, 0x80] + [0] * 13 + [1]
        return [(None,
                 entry(3, 0, 0, b"lo", v4([127, 0, 0, 1]), v4([255, 0, 0, 0])) +
                 entry(3, 1, 1, b"lo", v6(lo6), v6([0xff] * 16)) +
                 entry(3, 0, 0, b"eth0", v4([10, 1, 2, 3]), v4([255, 255, 240, 0])) +
                 entry(3, 1, 1, b"eth0", v6(ll6, 2), v6([0xff] * 8 + [0] * 8)) +
                 entry(1, 2, 0, b"eth0", b"\0" * 28) + entry(0, 0, 0, b"tun0") +
                 entry(3, 0, 0, b"odd", v4([1, 2, 3, 4]), v4([255, 0, 255, 0]))),
                (None, entry(1, 0, 0, b"x" * 20, v4([1, 1, 1, 1])))]
    if target == "fuzz_job_summary":
        return P(None, under("job_summary"))
    if target == "fuzz_control":
        return literal(None, "LIST\n", "REGISTER slurm:12.0 4242\r\nEND slurm:12.0\n",
                       "END k /var/reports\nLIST x\n\n \t\nREGISTER k 1\n",
                       "REGISTER k 4194305\nregister k 12\nEND k /d extra\n",
                       "REGISTER slurm:12.0@n1 7 alloc=slurm cpus=2 mem=268435456 node=n1\n"
                       "REGISTER k 7 alloc=slurm mem=1048576/job cpus=0 node=a/b\n")
    if target == "fuzz_serve_config":
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "etc", "jobtrace.conf"),
                  "rb") as f:
            shipped = f.read().decode("latin-1")
        return literal(None, shipped, "interval = 1\nstream = /dev/shm/x\n",
                       "listen =\napmon = h:8884 p#w\napmon = [::1]:1\r\n",
                       "interval = 5\n\n# typo below\nintervall = 5\n")
    if target == "fuzz_accept":
        return literal(None, "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
                       "application/openmetrics-text; q=0", "text/plain;version=0.0.4",
                       "application/openmetrics-text;version=0.0.1;q=0.75,*/*;q=0.1",
                       "*/*", "APPLICATION/OPENMETRICS-TEXT;Q=0.000")
    if target == "fuzz_diskstats":
        return P(0, named("diskstats")) + P(1, under("block", "stat"))
    if target == "fuzz_netdev":
        return (P(0, lambda rel, f: rel.endswith("net/dev")) + P(1, named("duplex")) +
                literal(1, "full\n", "half\n", "unknown\n"))
    if target == "fuzz_netsock":
        return (P(0, named("tcp", "tcp6")) + P(1, named("udp", "udp6")) + P(2, named("unix")) +
                P(3, named("tcp")) + P(4, named("tcp6")) + P(5, named("udp")) +
                P(6, named("udp6")) + P(7, named("unix")))
    if target == "fuzz_cpuinfo":
        return (P(0, named("cpuinfo")) +
                P(1, named("online", "possible", "affected_cpus", "related_cpus",
                           "core_cpus_list", "thread_siblings_list", "cluster_cpus_list")))
    if target == "fuzz_hostinfo":
        return P(None, named("hostname", "ostype", "osrelease", "version", "domainname", "arch"))
    if target == "fuzz_cgroupfs":
        out = []
        for mi in fixtures(named("mountinfo")):
            cg = os.path.join(os.path.dirname(mi), "cgroups")
            pair = open(mi, "rb").read() + b"\0" + (open(cg, "rb").read()
                                                     if os.path.exists(cg) else b"")
            out += [(pick, pair) for pick in range(5)]
            out.append((5, open(mi, "rb").read()))
        return out
    if target == "fuzz_sysfs_attr":
        return (P(None, named("temp1_input", "fan1_input", "mtu", "speed", "capacity")) +
                literal(None, "-1\n", "18446744073709551615\n", " 42 \n"))
    if target == "fuzz_apmon_dest":
        return literal(None, "127.0.0.1", "127.0.0.1:8884", "[::1]:8884 secret", "::1",
                       "  10.0.0.1:1   pw  ")
    if target == "fuzz_cn_proc":
        return [(None, m) for m in cn_proc_msgs()]
    if target == "fuzz_lineage":
        return [(None, r) for r in lineage_recs()]
    if target == "fuzz_stream_reader":
        return [(None, i) for i in stream_images()]
    if target == "fuzz_hwmon":
        out = []
        for d in ("sys/hwmon", "sys/thermal", "system/t0/sys", "system/nosensors/sys"):
            root = os.path.join(FIXTURES, d)
            if os.path.isdir(root):
                out.append((None, image(root, ["class/hwmon", "class/thermal"], depth=4,
                                        keep=r"name|type|temp|(temp|fan)\d+_\w+|trip_point_\d+_\w+")))
        return out
    if target == "fuzz_battery":
        out = []
        for d in sorted(os.listdir(os.path.join(FIXTURES, "sys"))):
            if d.startswith("power"):
                out.append((None, image(os.path.join(FIXTURES, "sys", d),
                                        ["class/power_supply"])))
        return out
    if target == "fuzz_cpufreq":
        out = []
        base = os.path.join(FIXTURES, "cpu", "sys")
        for d in sorted(os.listdir(base)):
            img = image(os.path.join(base, d), ["devices/system/cpu"], depth=7,
                        keep=r"online|affected_cpus|scaling_(cur|min|max)_freq|core_cpus_list|"
                             r"thread_siblings_list|physical_package_id")
            out += [(0, img), (1, img), (2, img), (3, img)]
        return out
    sys.exit("seeds.py: no seeds for %s" % target)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: seeds.py TARGET DIR")
    target, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for pick, src in seeds(target):
        data = src if isinstance(src, bytes) else open(src, "rb").read()
        if pick is not None:
            data = bytes([pick]) + data
        with open(os.path.join(out, "seed-%04d" % n), "wb") as f:
            f.write(data)
        n += 1
    print("%s: %d seeds" % (target, n))


main()
