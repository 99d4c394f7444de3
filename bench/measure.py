#!/usr/bin/env python3
"""Run a command, print one JSON line: wall seconds and peak RSS (MiB) of the whole process tree.

Usage: measure.py LABEL CMD [ARGS...]   (stdout of CMD goes to /dev/null; stderr passes through)
"""
import json, resource, subprocess, sys, time

label, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t0
# ru_maxrss of RUSAGE_CHILDREN is the largest peak among waited-for descendants, in KiB on Linux.
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"label": label, "wall_s": round(wall, 4), "peak_rss_mib": round(rss, 1), "exit": r.returncode}))
sys.exit(r.returncode)
