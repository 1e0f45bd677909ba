#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmarks on Xen, side by side in one boot of the nested hypervisor
# with XENMEM_lend (run-xen.sh --lend) and one build, written as a table
# to docs/benchmarks-xen.rst.inc, which docs/benchmarks.rst includes:
#   - guest read/write bandwidth through a mapped blob against guest RAM,
#     lent (lend=privcmd) against trapped (lend=trap);
#   - guest blob create+map+touch+unmap+close cycles per second, lent
#     against trapped.

. "$(dirname "$0")/common.sh"

OUT=$TOP/docs/benchmarks-xen.rst.inc
LENT_KIB=${VGXL_XEN_LENT_KIB:-4096}
TRAP_KIB=${VGXL_XEN_BANDWIDTH_KIB:-16}
"$TOP/scripts/build.sh"
"$TOP/scripts/guest-image.sh"
"$TOP/scripts/xen-dom0.sh"

# One guest boot per lend mode runs both measurements.
results=$CACHE/xen/runs/benchmark-$(date +%Y%m%d-%H%M%S)
"$TOP/scripts/run-xen.sh" --results "$results" --lend \
    "guest:bandwidth,cycles:privcmd:360:vgxl.kib=$LENT_KIB" \
    "guest:bandwidth,cycles:trap:600:vgxl.kib=$TRAP_KIB" ||
    die "a benchmark step failed; logs in $results"

serial() {
    tr -d '\r' <"$(ls -d "$results"/0"$1"-*/ | tail -n1)serial.log"
}
bandwidth() {
    serial "$1" | grep -a '^VGXL-BANDWIDTH ' | tail -n1
}
cycles() {
    serial "$1" | sed -n 's/.*blob-cycles: \([0-9.]*\) per second.*/\1/p' |
        tail -n1
}

lent=$(bandwidth 1)
trapped=$(bandwidth 2)
cyc_lent=$(cycles 1)
cyc_trap=$(cycles 2)
for v in "$lent" "$trapped" "$cyc_lent" "$cyc_trap"; do
    [ -n "$v" ] || die "a figure is missing; logs in $results"
done

{
    cat <<EOS
..
   SPDX-License-Identifier: GPL-2.0-or-later

On Xen
------

Produced by \`\`./scripts/benchmark-xen.sh\`\` on $(date -u +%Y-%m-%d), at
commit $(git -C "$TOP" rev-parse --short HEAD): one boot of Xen 4.20 with
\`\`XENMEM_lend\`\` and a Debian 13 PV dom0 with the \`\`xen_lend\`\` module,
nested under TCG on the machine above; the guest is an HVM guest of
\`\`virtio-gpu-xen-lend-xl.cfg\`\`, one boot per lend mode.

Bandwidth through a mapped blob against guest RAM, 64-bit loads and
stores, MB/s; the lent blob is $LENT_KIB KiB, the trapped one $TRAP_KIB KiB
(each access traps to dom0's QEMU).

EOS
    bandwidth_table 3 privcmd "$lent" trap "$trapped"
    cat <<EOS

Lent against trapped: blob read $(ratio "$(field blob-read "$lent")" \
"$(field blob-read "$trapped")" 0)x, blob write $(ratio \
"$(field blob-write "$lent")" "$(field blob-write "$trapped")" 0)x.

Blob map/unmap cycles (\`\`vgxl-blob-stress --cycles\`\`, 5 s): lent
$cyc_lent per second, trapped $cyc_trap per second, $(ratio "$cyc_lent" \
"$cyc_trap")x.

What TCG cannot show: TCG flushes its own TLB on every switch between
Xen and a guest, so a missing TLB flush in Xen's unlend would not be
seen here.  The flush on unlend rests on review of Xen's p2m code; a run
on hardware is needed before trusting it.  Under TCG every figure, RAM
included, is a software emulation's; the ratios are what carries over.
EOS
} | sed 's/[[:space:]]*$//' >"$OUT"
cat "$OUT"
