#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small QMP client for the test harness.

usage: qmp.py SOCKET revoke-loop [SECONDS [PROPERTY...]]
                                             revoke every lent slot every
                                             0.1 s while QEMU runs, setting
                                             the PROPERTYs in turn (default
                                             x-lend-revoke); print the last
                                             lend-stats, also when stopped
                                             (SIGINT or SIGTERM)
       qmp.py SOCKET screendump FILE         take a screendump
       qmp.py SOCKET stats                   print the device's counters
                                             (query-xen-lend)
"""

import json
import signal
import socket
import sys
import time

GPU = '/machine/peripheral/gpu/virtio-backend'


def lend_stats(qmp):
    """The device's lending counters, as query-xen-lend has them."""
    for info in qmp.cmd('query-xen-lend'):
        if info['qom-path'] == GPU:
            return info['stats']
    raise RuntimeError('query-xen-lend does not list ' + GPU)


class QMP:
    def __init__(self, path, timeout=60):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        # No wait forever: QEMU greets a second client only once the
        # first has gone.
        self.sock.settimeout(60)
        self.file = self.sock.makefile('rw')
        self._read()                        # greeting
        self.cmd('qmp_capabilities')

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError('QEMU closed the QMP socket')
            msg = json.loads(line)
            if 'event' not in msg:
                return msg

    def close(self):
        try:
            self.file.close()
        except OSError:
            pass                            # a write the peer never read
        self.sock.close()

    def cmd(self, name, **args):
        self.file.write(json.dumps({'execute': name, 'arguments': args}))
        self.file.flush()
        reply = self._read()
        if 'error' in reply:
            raise RuntimeError('%s: %s' % (name, reply['error']['desc']))
        return reply['return']


def stop(signum, frame):
    raise KeyboardInterrupt


def revoke_loop(path, seconds, props):
    # A shell's background job ignores SIGINT: SIGTERM ends the loop.
    signal.signal(signal.SIGTERM, stop)
    stats = {}
    end = time.time() + seconds
    n = errors = 0
    slowest = 0.0
    qmp = QMP(path)
    try:
        while time.time() < end:
            t0 = time.time()
            try:
                qmp.cmd('qom-set', path=GPU, property=props[n % len(props)],
                        value=-1)
                slowest = max(slowest, time.time() - t0)
                stats = lend_stats(qmp)
            except RuntimeError as e:
                errors += 1
                print(e, file=sys.stderr)
            except (EOFError, OSError):
                qmp.close()
                qmp = QMP(path, timeout=5)  # fails once QEMU is gone
            n += 1
            time.sleep(0.1)
    except (EOFError, OSError):
        pass                                # the guest powered off
    except KeyboardInterrupt:
        try:                                # the counters as they end
            qmp.close()                     # it may be mid-reply, and
            qmp = QMP(path, timeout=5)      # QEMU serves one client
            stats = lend_stats(qmp)
        except (EOFError, OSError, RuntimeError):
            pass
    # The slowest revocation, and the ones QEMU refused, for the record.
    stats['slowest-revoke-seconds'] = round(slowest, 3)
    stats['revoke-errors'] = errors
    print(json.dumps(stats))


def main():
    what = sys.argv[2]
    if what == 'revoke-loop':
        revoke_loop(sys.argv[1],
                    float(sys.argv[3]) if len(sys.argv) > 3 else 600,
                    sys.argv[4:] or ['x-lend-revoke'])
        return
    qmp = QMP(sys.argv[1])
    if what == 'screendump':
        qmp.cmd('screendump', filename=sys.argv[3])
    elif what == 'stats':
        print(json.dumps(lend_stats(qmp)))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
