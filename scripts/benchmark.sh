#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks, side by side on one build and one machine, written as a
# table to docs/benchmarks.rst:
#   - guest blob create+map+touch+unmap+close cycles per second,
#     x-map=window against x-map=per-blob (upstream's method), both with
#     lend=emulated;
#   - guest read/write bandwidth through a mapped blob against guest RAM,
#     lend=emulated against lend=trap;
#   - lend calls and pages per map for a spread of blob sizes (from the
#     xen_lend_lend trace of a blob stress run).
# The figures on Xen come from scripts/benchmark-xen.sh, included.

. "$(dirname "$0")/common.sh"

GUEST=$CACHE/guest
OUT=$TOP/docs/benchmarks.rst
"$TOP/scripts/build.sh"
"$TOP/scripts/guest-image.sh"

job_log() {
    "$TOP/scripts/run-guest.sh" "$@" >/dev/null 2>&1 ||
        die "guest job $1 failed; see $GUEST/log/$1.log"
    cat "$GUEST/log/$1.log"
}

cycles() {
    job_log cycles -global "virtio-gpu-xen-lend-device.x-map=$1" \
        -global virtio-gpu-xen-lend-device.lend=emulated |
        sed -n 's/.*blob-cycles: \([0-9.]*\) per second.*/\1/p' | tail -n1
}

bandwidth() {
    job_log bandwidth -global "virtio-gpu-xen-lend-device.lend=$1" |
        grep -a '^VGXL-BANDWIDTH ' | tail -n1
}



log "cycles: x-map=window"
win=$(cycles window)
log "cycles: x-map=per-blob"
per=$(cycles per-blob)
log "bandwidth: lend=emulated"
bw_emu=$(bandwidth emulated)
log "bandwidth: lend=trap"
bw_trap=$(bandwidth trap)
log "lend calls per map: blob stress with -trace xen_lend_lend"
VGXL_APPEND=vgxl.iters=40 job_log stress -trace xen_lend_lend >"$GUEST/run/trace.log"
sizes=$(python3 - "$GUEST/run/trace.log" <<'PY'
import collections, re, sys
calls = collections.Counter()
pages = collections.Counter()
aligned = collections.Counter()
for line in open(sys.argv[1], errors='replace'):
    m = re.search(r'xen_lend_lend \S+ slot \d+ gpa 0x([0-9a-f]+) '
                  r'size 0x([0-9a-f]+) ret 0', line)
    if m:
        gpa, size = int(m.group(1), 16), int(m.group(2), 16)
        calls[size] += 1
        pages[size] += size // 4096
        aligned[size] += gpa % (2 << 20) == 0
for size in sorted(calls):
    print('%d KiB|%d|%d|%d' % (size // 1024, calls[size],
                               pages[size] // calls[size], aligned[size]))
PY
)

machine="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1),"
machine="$machine $(nproc) CPUs, guest under TCG"
{
    cat <<EOS
:orphan:

..
   SPDX-License-Identifier: GPL-2.0-or-later

Benchmarks
==========

Produced by \`\`./scripts/benchmark.sh\`\` on $(date -u +%Y-%m-%d), one
build, one machine: $machine.  A Debian 13 guest runs the programs in
\`\`tests/guest/\`\` against \`\`virtio-gpu-xen-lend-pci\`\` with Venus.

Blob map/unmap cycles
---------------------

Create, map, touch one word per page, unmap and close a 4 KiB Venus blob,
in a loop, for 5 s (\`\`vgxl-blob-stress --cycles\`\`), \`\`lend=emulated\`\`.

======================  ==============
mapping method          cycles/s
======================  ==============
\`\`x-map=window\`\`        $win
\`\`x-map=per-blob\`\`      $per
window / per-blob       $(ratio "$win" "$per")
======================  ==============

Bandwidth through a mapped blob
-------------------------------

64-bit loads and stores over an 8 MiB blob and over 8 MiB of guest RAM
(\`\`vgxl-bandwidth\`\`), MB/s.

EOS
    bandwidth_table 2 emulated "$bw_emu" trap "$bw_trap"
    cat <<EOS

Lend calls per map
------------------

From the \`\`xen_lend_lend\`\` trace of a 40-iteration blob stress run
(\`\`lend=emulated\`\`): for each blob size, the lend calls made, the pages
per call, and how many calls started at a 2 MiB aligned guest address
(the guest driver picks the offsets).

==========  ==========  ==============  ===================
blob size   calls       pages per call  2 MiB aligned calls
==========  ==========  ==============  ===================
EOS
    echo "$sizes" | while IFS='|' read -r size calls ppc al; do
        printf '%-10s  %-10s  %-14s  %-19s\n' "$size" "$calls" "$ppc" "$al"
    done
    cat <<EOS
==========  ==========  ==============  ===================

.. The figures on Xen, from scripts/benchmark-xen.sh.
.. include:: benchmarks-xen.rst.inc

.. OpenGL, guest against host, from scripts/benchmark-gl.sh.
.. include:: benchmarks-gl.rst.inc
EOS
} | sed 's/[[:space:]]*$//' >"$OUT"
cat "$OUT"
