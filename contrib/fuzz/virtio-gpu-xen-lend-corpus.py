#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Write the seed corpus of the virtio-gpu-xen-lend fuzzing target
# (tests/qtest/fuzz/virtio_gpu_xen_lend_fuzz.c): valid sequences that
# reach deep states at once, which the fuzzer then mutates.
#
# usage: virtio-gpu-xen-lend-corpus.py DIR

import os
import struct
import sys

ACT_CTRL, ACT_CURSOR, ACT_WRITE, ACT_READ, ACT_DECODE, ACT_MOVE, \
    ACT_REVOKE, ACT_RESET = range(8)

GET_DISPLAY_INFO, CREATE_2D, UNREF, SET_SCANOUT, FLUSH, TRANSFER_2D, \
    ATTACH_BACKING, DETACH_BACKING, GET_CAPSET_INFO, GET_CAPSET, GET_EDID, \
    ASSIGN_UUID, CREATE_BLOB, SET_SCANOUT_BLOB = range(0x100, 0x10e)
CTX_CREATE, CTX_DESTROY = 0x200, 0x201
MAP_BLOB, UNMAP_BLOB = 0x208, 0x209
UPDATE_CURSOR = 0x300

CAPSET_VENUS = 4
BLOB_MEM_GUEST, BLOB_MEM_HOST3D = 1, 2
MAPPABLE = 1
B8G8R8X8 = 2
CTX = 1
GUEST_PAGES = 0x100000      # guest RAM the requests point at


def hdr(cmd, ctx=0):
    return struct.pack('<IIQIB3x', cmd, 0, 0, ctx, 0)


def act(kind, data=b'', arg=0, length=None):
    return struct.pack('<BHI', kind, len(data) if length is None else length,
                       arg) + data


def ctrl(data, resp=64):
    return act(ACT_CTRL, data, resp)


def rect(w, h):
    return struct.pack('<IIII', 0, 0, w, h)


def venus_blob(res, size, mem=BLOB_MEM_HOST3D, entries=()):
    return (ctrl(hdr(CTX_CREATE, CTX) +
                 struct.pack('<II64s', 4, CAPSET_VENUS, b'fuzz')) +
            ctrl(hdr(CREATE_BLOB, CTX) +
                 struct.pack('<IIIIQQ', res, mem, MAPPABLE, len(entries), 0,
                             size) +
                 b''.join(struct.pack('<QII', a, n, 0) for a, n in entries)))


def map_blob(res, offset):
    return ctrl(hdr(MAP_BLOB, CTX) + struct.pack('<IIQ', res, 0, offset))


def unmap_blob(res):
    return ctrl(hdr(UNMAP_BLOB, CTX) + struct.pack('<II', res, 0))


def unref(res):
    return ctrl(hdr(UNREF) + struct.pack('<II', res, 0))


def window_rw(offset, data):
    return act(ACT_WRITE, data, offset) + act(ACT_READ, b'', offset,
                                              len(data))


def scanout_blob(res, w, h):
    return ctrl(hdr(SET_SCANOUT_BLOB) + rect(w, h) +
                struct.pack('<6I4I4I', 0, res, w, h, B8G8R8X8, 0,
                            w * 4, 0, 0, 0, 0, 0, 0, 0))


def flush(res, w, h):
    return ctrl(hdr(FLUSH) + rect(w, h) + struct.pack('<II', res, 0))


def cursor(res):
    return act(ACT_CURSOR, hdr(UPDATE_CURSOR) +
               struct.pack('<8I', 0, 10, 10, 0, res, 0, 0, 0))


SEEDS = {
    'info': (ctrl(hdr(GET_DISPLAY_INFO), 408) +
             ctrl(hdr(GET_CAPSET_INFO) + struct.pack('<II', 0, 0)) +
             ctrl(hdr(GET_CAPSET) + struct.pack('<II', CAPSET_VENUS, 0),
                  4096) +
             ctrl(hdr(GET_EDID) + struct.pack('<II', 0, 0), 1056)),
    'blob-map': (venus_blob(1, 16384) + map_blob(1, 0x8000) +
                 window_rw(0x8000, bytes(range(64))) + unmap_blob(1) +
                 map_blob(1, 0x200000) + unref(1)),
    'blob-revoke': (venus_blob(1, 16384) + map_blob(1, 0x8000) +
                    window_rw(0x8000, b'\x5a' * 32) + act(ACT_REVOKE) +
                    window_rw(0x9000, b'\xa5' * 32) + act(ACT_DECODE) +
                    act(ACT_MOVE, b'', 64) + window_rw(0x8000, b'\x11' * 8) +
                    unmap_blob(1)),
    'blob-reset': (venus_blob(1, 8192) + venus_blob(2, 4096) +
                   map_blob(1, 0) + map_blob(2, 0x100000) +
                   window_rw(0x1000, b'\x77' * 16) + act(ACT_RESET) +
                   venus_blob(1, 4096) + map_blob(1, 0)),
    'guest-blob': (venus_blob(3, 4096, BLOB_MEM_GUEST,
                              [(GUEST_PAGES, 4096)]) +
                   map_blob(3, 0) + window_rw(0, b'\x42' * 16) + unref(3)),
    'blob-scanout': (venus_blob(1, 64 * 64 * 4) + map_blob(1, 0) +
                     window_rw(0, b'\xff' * 256) + scanout_blob(1, 64, 64) +
                     flush(1, 64, 64) + cursor(1) + unref(1)),
    '2d': (ctrl(hdr(CREATE_2D) + struct.pack('<IIII', 5, B8G8R8X8, 64, 64)) +
           ctrl(hdr(ATTACH_BACKING) + struct.pack('<II', 5, 1) +
                struct.pack('<QII', GUEST_PAGES, 64 * 64 * 4, 0)) +
           ctrl(hdr(TRANSFER_2D) + rect(64, 64) + struct.pack('<QII', 0, 5, 0)) +
           ctrl(hdr(SET_SCANOUT) + rect(64, 64) + struct.pack('<II', 0, 5)) +
           flush(5, 64, 64) + cursor(5) +
           ctrl(hdr(DETACH_BACKING) + struct.pack('<II', 5, 0)) + unref(5)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
