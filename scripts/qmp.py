#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small QMP client for the test harness.

usage: qmp.py SOCKET revoke-loop [SECONDS [PROPERTY...]]
                                             revoke every lent slot every
                                             0.1 s while QEMU runs, setting
                                             the PROPERTYs in turn (default
                                             x-lend-revoke); print the last
                                             lend-stats seen, also when
                                             interrupted (SIGINT)
       qmp.py SOCKET screendump FILE         take a screendump
       qmp.py SOCKET stats                   print lend-stats
"""

import json
import socket
import sys
import time

GPU = '/machine/peripheral/gpu/virtio-backend'


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

    def cmd(self, name, **args):
        self.file.write(json.dumps({'execute': name, 'arguments': args}))
        self.file.flush()
        reply = self._read()
        if 'error' in reply:
            raise RuntimeError('%s: %s' % (name, reply['error']['desc']))
        return reply['return']


def revoke_loop(qmp, seconds, props):
    stats = {}
    end = time.time() + seconds
    n = 0
    try:
        while time.time() < end:
            qmp.cmd('qom-set', path=GPU, property=props[n % len(props)],
                    value=-1)
            n += 1
            stats = qmp.cmd('qom-get', path=GPU, property='lend-stats')
            time.sleep(0.1)
    except (EOFError, OSError, KeyboardInterrupt):
        pass                                # the guest powered off
    print(json.dumps(stats))


def main():
    qmp = QMP(sys.argv[1])
    what = sys.argv[2]
    if what == 'revoke-loop':
        revoke_loop(qmp, float(sys.argv[3]) if len(sys.argv) > 3 else 600,
                    sys.argv[4:] or ['x-lend-revoke'])
    elif what == 'screendump':
        qmp.cmd('screendump', filename=sys.argv[3])
    elif what == 'stats':
        print(json.dumps(qmp.cmd('qom-get', path=GPU,
                                 property='lend-stats')))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
