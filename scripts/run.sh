#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: build what is missing, then boot a Linux guest under TCG
# with virtio-gpu-xen-lend-pci; in it, a Vulkan compute shader runs on the
# Venus device and its result is checked, then the bandwidth through a
# mapped blob is compared with guest RAM.  Extra arguments go to QEMU.
#
# usage: run.sh [xen]
#   xen: the same on Xen, nested under TCG: the hypervisor with XENMEM_lend
#        and a dom0 with the xen_lend module, where the guest's blobs are
#        lent; then the bandwidth of the same guest with lend=trap, and
#        the lent-vs-trapped ratio.

. "$(dirname "$0")/common.sh"

"$TOP/scripts/build.sh"
"$TOP/scripts/guest-image.sh"
if [ "${1:-}" != xen ]; then
    exec "$TOP/scripts/run-guest.sh" compute,bandwidth "$@"
fi

"$TOP/scripts/xen-dom0.sh"
results=$CACHE/xen/runs/main-$(date +%Y%m%d-%H%M%S)
rc=0
"$TOP/scripts/run-xen.sh" --results "$results" --lend \
    guest:compute,bandwidth:privcmd:900:vgxl.kib=4096 \
    guest:bandwidth:trap:360:vgxl.kib=4 || rc=1
for d in "$results"/0[12]-*; do
    [ -d "$d" ] || continue
    log "${d##*/}:"
    grep -a -E '^vgxl-(vkcompute|compute|bandwidth)|^VGXL' "$d/serial.log" |
        tr -d '\r' | sed 's/^/    /' >&2
    sed -n 's/^lend_\(mode\|lends\|trap_accesses\|faults\)=/    lend-stats \1=/p' \
        "$d/facts" >&2
done
lent=$(sed -n 's/^VGXL-BANDWIDTH blob-read=\([0-9.]*\).*/\1/p' \
           "$results"/01-*/serial.log 2>/dev/null | tail -n1)
trapped=$(sed -n 's/^VGXL-BANDWIDTH blob-read=\([0-9.]*\).*/\1/p' \
              "$results"/02-*/serial.log 2>/dev/null | tail -n1)
if [ -n "$lent" ] && [ -n "$trapped" ]; then
    log "blob read on Xen: lent $lent MB/s, trapped $trapped MB/s:" \
        "$(awk -v a="$lent" -v b="$trapped" 'BEGIN {
            if (b > 0) printf "%.0fx", a / b; else print "inf" }')"
fi
[ $rc = 0 ] || die "the Xen run failed; logs in $results"
log "Vulkan through lent memory on Xen: PASS"
