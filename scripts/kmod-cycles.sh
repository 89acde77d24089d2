#!/bin/bash
# scripts/kmod-cycles.sh [KVER]
# The object-level call graph of plumb.ko: builds the module (W=1) for KVER
# (default: the 6.12 headers) in build/kmod/KVER, joins each object's
# undefined symbols to the object that defines them, and prints every
# strongly connected component of more than one object with its two-way
# edges and the symbols behind them. Exit status: 0 if the only cycles are
# within a vendor backend, between a backend and the common objects (an ops
# table one way, helper calls the other), or in ACCEPTED below; 1 if any
# other cycle exists; 2 on error.
set -euo pipefail
cd "$(dirname "$0")/.."

kver=${1:-$(scripts/kernels.sh kver 6.12)}
dir=build/kmod/$kver
tests/harness/build-module.sh "$kver" W=1 ||
	{ tail -n 30 "$dir/build.log" >&2; exit 2; }

# The objects Kbuild links; global symbols only (nm types T, D, B, R).
objs=$(grep -o 'kmod/[a-z0-9_/]*\.o' Kbuild)
{
	for o in $objs; do
		name=${o#kmod/}
		name=${name%.o}
		nm --defined-only "$dir/$o" |
			awk -v o="$name" '$2 ~ /^[TDBR]$/ { print "D", o, $3 }'
		nm -u "$dir/$o" | awk -v o="$name" '{ print "U", o, $2 }'
	done
} | python3 /dev/fd/3 3<<'PY'
import sys
from collections import defaultdict

defs, uses = {}, []
for line in sys.stdin:
    kind, obj, sym = line.split()
    if kind == "D":
        defs[sym] = obj
    else:
        uses.append((obj, sym))

edges = defaultdict(set)            # (from, to) -> symbols
for obj, sym in uses:
    to = defs.get(sym)
    if to and to != obj:
        edges[(obj, to)].add(sym)
nodes = sorted(set(defs.values()) | {o for o, _ in uses})
succ = defaultdict(set)
for a, b in edges:
    succ[a].add(b)

def tarjan(nodes, succ):
    """Strongly connected components, iteratively (Tarjan)."""
    index, low, on, stack, sccs, n = {}, {}, set(), [], [], 0
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = n; n += 1; stack.append(root); on.add(root)
        work = [(root, iter(sorted(succ[root] & nodes)))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = n; n += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(succ[w] & nodes))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop(); on.discard(w); comp.append(w)
                        if w == v:
                            break
                    sccs.append(sorted(comp))
    return [c for c in sccs if len(c) > 1]

def vendor(o):
    """The backend an object belongs to: vmx/ or svm/. kvm/ (the KVM
    personality) is common code: it may not be in any cycle."""
    d = o.split("/")[0] if "/" in o else None
    return d if d in ("vmx", "svm") else None

def show(comp):
    print("SCC {%s}" % ", ".join(comp))
    for a in comp:
        for b in comp:
            if a < b and (a, b) in edges and (b, a) in edges:
                print("  %s <-> %s" % (a, b))
                print("    -> %s" % " ".join(sorted(edges[(a, b)])))
                print("    <- %s" % " ".join(sorted(edges[(b, a)])))

allnodes = set(nodes)
sccs = tarjan(allnodes, succ)
print("%d objects, %d in cycles, %d SCC(s)" %
      (len(nodes), sum(map(len, sccs)), len(sccs)))
for comp in sorted(sccs, key=len, reverse=True):
    print()
    show(comp)

# The allowed cycles are vendor <-> common: an ops table one way, helper
# calls the other, and a backend with its own files among themselves. Anything
# else is a cycle among the common objects alone, or between vendors.
# Cycles among common objects we keep, each with its reason: none since
# decision 130 (vCPU fds hold the VM's file, not a count in vm.c).
ACCEPTED = {}
common = {o for o in nodes if vendor(o) is None}
bad = []
for comp in tarjan(common, succ):
    why = ACCEPTED.get(tuple(comp))
    if why:
        print("accepted {%s}: %s" % (", ".join(comp), why))
    else:
        bad.append(comp)
cross = sorted((a, b) for a, b in edges
               if vendor(a) and vendor(b) and vendor(a) != vendor(b))
print()
if bad or cross:
    for comp in bad:
        print("not allowed (common objects alone):")
        show(comp)
        print("  its edges:")
        for a in comp:
            for b in comp:
                if (a, b) in edges:
                    print("    %s -> %s: %s" %
                          (a, b, " ".join(sorted(edges[(a, b)]))))
    for a, b in cross:
        print("not allowed (vendor to vendor): %s -> %s: %s" %
              (a, b, " ".join(sorted(edges[(a, b)]))))
    sys.exit(1)
print("no other cycles")
PY
