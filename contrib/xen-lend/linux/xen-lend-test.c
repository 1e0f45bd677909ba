/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-lend-test: dom0 checks of XENMEM_lend and of xen_lend.ko.
 *
 * Runs in dom0 (root) against a paused HVM guest:
 *
 *   xen-lend-test refuse DOMID [--hole GPA]  every refusal the ABI promises
 *   xen-lend-test lend DOMID GPA PAGES       lend, revoke, re-lend, remove
 *   xen-lend-test hold DOMID GPA PAGES       lend, then sleep until killed
 *   xen-lend-test count [DOMID]              Xen's global lent-entry count
 *   xen-lend-test version                    XENMEM_lend ABI version
 *
 * GPA (and the --hole, default 0x3f00000000) must be a hole of the guest:
 * above its RAM and in no BAR, or the hostmem BAR before QEMU uses it.
 * Each check prints one line, "PASS name: ...", "FAIL name: expected X got
 * Y" or "SKIP name: why".  The exit status is 0 when every check passed,
 * 1 when one failed; "version" exits 0 on ABI 1, 2 when the hypercall
 * fails (ENOSYS on a stock Xen) and 1 otherwise.
 *
 * The module is used through /dev/xen/privcmd-lend; the hypercall itself
 * through Debian's /dev/xen/privcmd (IOCTL_PRIVCMD_HYPERCALL), with its
 * buffer from /dev/xen/hypercall so that Xen never meets a missing page.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -I<repo>/include \
 *            -o xen-lend-test xen-lend-test.c
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/xen/privcmd-lend.h"


_Static_assert(sizeof(struct privcmd_lend_query) == 16, "query ABI");
_Static_assert(sizeof(struct privcmd_lend_region) == 32, "region ABI");
_Static_assert(sizeof(struct privcmd_lend_slot_info) == 48, "slot info ABI");

/* Debian's privcmd (include/uapi/xen/privcmd.h). */
struct test_privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define TEST_IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct test_privcmd_hypercall))

/* The patched Xen's public memory.h (contrib/xen-lend/xen). */
#define HYPERVISOR_memory_op    12
#define XENMEM_lend             63
#define XENMEM_LEND_version     0
#define XENMEM_LEND_lend        1
#define XENMEM_LEND_unlend      2
#define XENMEM_LEND_query       3
#define XENMEM_LEND_count       4
#define XENMEM_LEND_ABI         1
#define XENMEM_LEND_MAX_BATCH   512

struct xen_mem_lend {
    uint16_t domid;
    uint16_t cmd;
    uint32_t flags;
    uint64_t gfn;
    uint32_t nr;
    uint32_t done;
    uint64_t frames;        /* XEN_GUEST_HANDLE(xen_pfn_t) */
};
_Static_assert(sizeof(struct xen_mem_lend) == 32, "xen_mem_lend ABI");

#define DOMID_FIRST_RESERVED    0x7ff0
#define PAGE                    4096UL
#define HBUF_SIZE               (2 * PAGE)
#define HBUF_FRAMES             ((HBUF_SIZE - 64) / sizeof(uint64_t))
#define DEFAULT_HOLE            0x3f00000000ULL
#define LEND_DEV                "/dev/xen/privcmd-lend"

static int failures;
static int privcmd_fd = -1;
static void *hbuf;

/* ------------------------------------------------------------------ */
/* Reporting */

/* A name for 0 or -errno; four in one printf at most. */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The errnos the checks expect, by name. */
static const char *const errno_names[] = {
    [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",
    [EINTR] = "EINTR", [EIO] = "EIO", [EAGAIN] = "EAGAIN",
    [ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT",
    [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [ENODEV] = "ENODEV",
    [EINVAL] = "EINVAL", [ENOTTY] = "ENOTTY", [ENOSPC] = "ENOSPC",
    [ENOSYS] = "ENOSYS", [EOPNOTSUPP] = "EOPNOTSUPP",
};

static const char *err_name(int rc)
{
    static char bufs[4][32];
    static unsigned int next;
    char *buf = bufs[next++ % 4];
    const char *name;

    if (rc == 0) {
        return "0";
    }
    if (rc > 0) {
        snprintf(buf, sizeof(bufs[0]), "%d", rc);
        return buf;
    }
    name = -rc < (int)ARRAY_SIZE(errno_names) ? errno_names[-rc] : NULL;
    if (name) {
        return name;
    }
    snprintf(buf, sizeof(bufs[0]), "errno %d", -rc);
    return buf;
}

static void pass(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pass(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("PASS %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void fail(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    failures++;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void skip(const char *name, const char *why)
{
    printf("SKIP %s: %s\n", name, why);
    fflush(stdout);
}

/* rc is 0 or -errno; want is 0 or -errno, want2 an alternative or 1. */
static bool expect_rc2(const char *name, const char *what, int rc, int want,
                       int want2)
{
    if (rc == want || rc == want2) {
        pass(name, "%s -> %s", what, err_name(rc));
        return true;
    }
    if (want2 != 1) {
        fail(name, "expected %s or %s got %s (%s)", err_name(want),
             err_name(want2), err_name(rc), what);
    } else {
        fail(name, "expected %s got %s (%s)", err_name(want), err_name(rc),
             what);
    }
    return false;
}

static bool expect_rc(const char *name, const char *what, int rc, int want)
{
    return expect_rc2(name, what, rc, want, 1);
}

/* ------------------------------------------------------------------ */
/* Raw hypercalls through /dev/xen/privcmd */

static int raw_init(void)
{
    int fd;

    if (privcmd_fd >= 0) {
        return 0;
    }
    privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (privcmd_fd < 0) {
        return -errno;
    }
    /* privcmd-buf pages are always present: what libxencall uses. */
    fd = open("/dev/xen/hypercall", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        hbuf = mmap(NULL, HBUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                    fd, 0);
        close(fd);
        if (hbuf == MAP_FAILED) {
            hbuf = NULL;
        }
    }
    if (!hbuf) {
        hbuf = mmap(NULL, HBUF_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE,
                    -1, 0);
        if (hbuf == MAP_FAILED) {
            hbuf = NULL;
            return -errno;
        }
    }
    memset(hbuf, 0, HBUF_SIZE);
    return 0;
}

/* One XENMEM_lend call; returns 0 or -errno. */
static int raw_lend(uint16_t domid, uint16_t cmd, uint32_t flags,
                    uint64_t gfn, uint32_t nr, const uint64_t *frames,
                    size_t nframes, uint32_t *done)
{
    struct xen_mem_lend *a = hbuf;
    uint64_t *f = (uint64_t *)((char *)hbuf + 64);
    struct test_privcmd_hypercall h = {
        .op = HYPERVISOR_memory_op,
        .arg = { XENMEM_lend, (uintptr_t)a },
    };
    long rc;

    if (nframes > HBUF_FRAMES) {
        return -E2BIG;
    }
    memset(hbuf, 0, HBUF_SIZE);
    a->domid = domid;
    a->cmd = cmd;
    a->flags = flags;
    a->gfn = gfn;
    a->nr = nr;
    a->frames = (uintptr_t)f;
    if (frames) {
        memcpy(f, frames, nframes * sizeof(*f));
    }
    rc = ioctl(privcmd_fd, TEST_IOCTL_PRIVCMD_HYPERCALL, &h);
    if (done) {
        *done = a->done;
    }
    if (rc < 0) {
        return -errno;
    }
    return rc > 0 ? -EPROTO : 0;
}

static int raw_version(uint32_t *version)
{
    return raw_lend(0, XENMEM_LEND_version, 0, 0, 0, NULL, 0, version);
}

static int raw_count(uint16_t domid, uint32_t *count)
{
    return raw_lend(domid, XENMEM_LEND_count, 0, 0, 0, NULL, 0, count);
}

/*
 * A raw lend that must be refused.  Should Xen accept it, the entry is
 * removed again at once, whatever it was.
 */
static int raw_lend_refused(uint16_t domid, uint32_t flags, uint64_t gfn,
                            uint32_t nr, const uint64_t *frames,
                            size_t nframes)
{
    uint32_t done = 0, undone;
    int rc;

    rc = raw_lend(domid, XENMEM_LEND_lend, flags, gfn, nr, frames, nframes,
                  &done);
    if (rc == 0 && nr >= 1 && nr <= XENMEM_LEND_MAX_BATCH) {
        int u = raw_lend(domid, XENMEM_LEND_unlend, 0, gfn, nr, NULL, 0,
                         &undone);

        fprintf(stderr, "xen-lend-test: Xen lent %u frames it should have "
                "refused; unlend: %s, %u removed\n", done, err_name(u),
                undone);
    }
    return rc;
}

static bool dom0_is_pv(void)
{
    char type[16] = "";
    FILE *f = fopen("/sys/hypervisor/guest_type", "r");

    if (!f) {
        return false;
    }
    if (!fgets(type, sizeof(type), f)) {
        type[0] = 0;
    }
    fclose(f);
    return strncmp(type, "PV\n", 3) == 0;
}

/* ------------------------------------------------------------------ */
/* The module */

static int lend_open(void)
{
    int fd = open(LEND_DEV, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        fail("open", "expected " LEND_DEV " got %s (is xen_lend loaded?)",
             err_name(-errno));
    }
    return fd;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int lend_restrict(int fd, uint16_t domid)
{
    return xioctl(fd, IOCTL_PRIVCMD_LEND_RESTRICT, &domid);
}

static int lend_region(int fd, uint32_t slot, uint32_t flags, uint64_t gpa,
                       uint64_t size, const void *uaddr)
{
    struct privcmd_lend_region r = {
        .slot = slot,
        .flags = flags,
        .guest_phys_addr = gpa,
        .size = size,
        .userspace_addr = (uintptr_t)uaddr,
    };

    return xioctl(fd, IOCTL_PRIVCMD_LEND_REGION, &r);
}

static int lend_info(int fd, uint32_t slot, struct privcmd_lend_slot_info *i)
{
    memset(i, 0, sizeof(*i));
    i->slot = slot;
    return xioctl(fd, IOCTL_PRIVCMD_LEND_SLOT_INFO, i);
}

/* A MAP_SHARED memfd of @pages pages, every page written. */
static void *memfd_buf(size_t pages, int *memfd)
{
    size_t size = pages * PAGE, i;
    void *p;
    int fd;

    fd = memfd_create("xen-lend-test", MFD_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    if (ftruncate(fd, size) < 0) {
        close(fd);
        return NULL;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    for (i = 0; i < pages; i++) {
        memset((char *)p + i * PAGE, 0x5a, 64);
        *(uint64_t *)((char *)p + i * PAGE) = i;
    }
    if (memfd) {
        *memfd = fd;
    } else {
        close(fd);
    }
    return p;
}

/*
 * @pages pages of a memfd exported as a udmabuf, mapped shared: a
 * VM_PFNMAP mapping of RAM, as Mesa's lavapipe exports its memory.
 * NULL with errno ENOENT where the kernel has no /dev/udmabuf.
 */
static void *udmabuf_buf(size_t pages, int *dmabuf)
{
    struct udmabuf_create create = { .size = pages * PAGE };
    void *p = MAP_FAILED;
    int memfd, dev;

    memfd = memfd_create("xen-lend-test-udmabuf",
                         MFD_CLOEXEC | MFD_ALLOW_SEALING);
    dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
    if (memfd >= 0 && dev >= 0 && ftruncate(memfd, create.size) == 0 &&
        fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0) {
        create.memfd = memfd;
        create.flags = UDMABUF_FLAGS_CLOEXEC;
        *dmabuf = ioctl(dev, UDMABUF_CREATE, &create);
        if (*dmabuf >= 0) {
            p = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED,
                     *dmabuf, 0);
        }
    }
    if (dev >= 0) {
        close(dev);
    }
    if (memfd >= 0) {
        close(memfd);
    }
    /* Left untouched: the module must fault the pages in itself. */
    return p == MAP_FAILED ? NULL : p;
}

/*
 * Four pages of some PCI device's memory BAR, mapped through sysfs: a
 * VM_IO mapping.  NULL where no BAR can be mapped.
 */
static void *device_memory(size_t size, char *path, size_t len)
{
    struct dirent *d;
    void *p = NULL;
    DIR *dir;
    int i, fd;

    dir = opendir("/sys/bus/pci/devices");
    while (dir && !p && (d = readdir(dir))) {
        for (i = 0; i < 6 && !p; i++) {
            snprintf(path, len, "/sys/bus/pci/devices/%s/resource%d",
                     d->d_name, i);
            fd = open(path, O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                continue;
            }
            p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (p == MAP_FAILED) {
                p = NULL;
            }
            close(fd);
        }
    }
    if (dir) {
        closedir(dir);
    }
    return p;
}

struct counters {
    uint64_t nr_lent, xen_nr_lent, revocations, lends;
};

static void fmt_counters(char *buf, size_t len, const struct counters *c)
{
    snprintf(buf, len, "nr_lent=%" PRIu64 " xen_nr_lent=%" PRIu64
             " revocations=%" PRIu64 " lends=%" PRIu64,
             c->nr_lent, c->xen_nr_lent, c->revocations, c->lends);
}

/* SLOT_INFO must report exactly @want for @slot. */
static bool expect_info(const char *name, int fd, uint32_t slot,
                        uint64_t pages, const struct counters *want)
{
    struct privcmd_lend_slot_info i;
    struct counters got;
    char w[160], g[160];
    int rc;

    rc = lend_info(fd, slot, &i);
    if (rc) {
        fail(name, "expected SLOT_INFO 0 got %s", err_name(rc));
        return false;
    }
    got.nr_lent = i.nr_lent;
    got.xen_nr_lent = i.xen_nr_lent;
    got.revocations = i.revocations;
    got.lends = i.lends;
    fmt_counters(w, sizeof(w), want);
    fmt_counters(g, sizeof(g), &got);
    if (i.nr_pages != pages || memcmp(&got, want, sizeof(got))) {
        fail(name, "expected nr_pages=%" PRIu64 " %s got nr_pages=%"
             PRIu64 " %s", pages, w, (uint64_t)i.nr_pages, g);
        return false;
    }
    pass(name, "nr_pages=%" PRIu64 " %s", pages, g);
    return true;
}

/* ------------------------------------------------------------------ */
/* Subcommands */

static int cmd_version(void)
{
    uint32_t version = 0;
    int rc;

    rc = raw_init();
    if (rc) {
        printf("xenmem-lend-abi %s (/dev/xen/privcmd)\n", err_name(rc));
        return 1;
    }
    rc = raw_version(&version);
    if (rc) {
        printf("xenmem-lend-abi %s\n", err_name(rc));
        return 2;
    }
    printf("xenmem-lend-abi %u\n", version);
    return version == XENMEM_LEND_ABI ? 0 : 1;
}

static int cmd_count(uint16_t domid)
{
    uint32_t count = 0;
    int rc;

    rc = raw_init();
    if (!rc) {
        rc = raw_count(domid, &count);
    }
    if (rc) {
        printf("xen-lent-count %s\n", err_name(rc));
        return 1;
    }
    printf("xen-lent-count %u\n", count);
    return 0;
}

static void refuse_module(uint16_t domid, uint64_t hole)
{
    struct privcmd_lend_query q = { 0 };
    struct privcmd_lend_slot_info info;
    const uint32_t want_flags = PRIVCMD_LEND_FAULT_ZERO |
                                PRIVCMD_LEND_FAULT_INJECT;
    const size_t pages = 4, size = pages * PAGE;
    char *mem, *priv, *gone, *dev, path[300];
    int fd, rc;

    mem = memfd_buf(pages, NULL);
    priv = mmap(NULL, size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    gone = mmap(NULL, size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!mem || priv == MAP_FAILED || gone == MAP_FAILED) {
        fail("refuse.setup", "expected buffers got %s", err_name(-errno));
        return;
    }
    munmap(gone, size);

    /* An fd without RESTRICT. */
    fd = lend_open();
    if (fd < 0) {
        return;
    }
    rc = xioctl(fd, IOCTL_PRIVCMD_LEND_QUERY, &q);
    if (rc || q.abi_version != PRIVCMD_LEND_ABI_VERSION || !q.max_slots ||
        q.flags != want_flags) {
        fail("refuse.query", "expected 0 abi 1 flags 0x%x got %s abi %u "
             "max_slots %u flags 0x%x", want_flags, err_name(rc),
             q.abi_version, q.max_slots, q.flags);
    } else {
        pass("refuse.query", "abi %u max_slots %u flags 0x%x", q.abi_version,
             q.max_slots, q.flags);
    }
    expect_rc("refuse.unbound", "LEND_REGION on an unbound fd",
              lend_region(fd, 1, 0, hole, size, mem), -EPERM);
    expect_rc("refuse.unbound-info", "SLOT_INFO on an unbound fd",
              lend_info(fd, 1, &info), -EPERM);
    close(fd);

    fd = lend_open();
    if (fd < 0) {
        return;
    }
    expect_rc("refuse.restrict", "RESTRICT", lend_restrict(fd, domid), 0);
    expect_rc("refuse.restrict-same", "RESTRICT again, same domid",
              lend_restrict(fd, domid), 0);
    expect_rc("refuse.restrict-other", "RESTRICT again, another domid",
              lend_restrict(fd, domid ^ 1), -EINVAL);

    expect_rc("refuse.ram", "lend over guest RAM at 0x100000",
              lend_region(fd, 1, 0, 0x100000, size, mem), -EBUSY);
    expect_rc("refuse.ram-undone", "SLOT_INFO of the refused slot",
              lend_info(fd, 1, &info), -ENOENT);

    expect_rc("refuse.unaligned-gpa", "gpa hole+0x800",
              lend_region(fd, 1, 0, hole + 0x800, size, mem), -EINVAL);
    expect_rc("refuse.unaligned-size", "size 0x1800",
              lend_region(fd, 1, 0, hole, 0x1800, mem), -EINVAL);
    expect_rc("refuse.unaligned-uaddr", "uaddr buffer+0x10",
              lend_region(fd, 1, 0, hole, size, mem + 0x10), -EINVAL);
    expect_rc("refuse.gpa-overflow", "gpa 0xfffffffffffff000 size 4 pages",
              lend_region(fd, 1, 0, 0xfffffffffffff000ULL, size, mem),
              -EINVAL);
    expect_rc("refuse.readonly", "flags READONLY",
              lend_region(fd, 1, PRIVCMD_LEND_READONLY, hole, size, mem),
              -EOPNOTSUPP);
    expect_rc("refuse.unknown-flag", "flags 1<<31",
              lend_region(fd, 1, 1U << 31, hole, size, mem), -EINVAL);
    expect_rc("refuse.private", "MAP_PRIVATE anonymous buffer",
              lend_region(fd, 1, 0, hole, size, priv), -EACCES);
    expect_rc("refuse.unmapped", "unmapped buffer",
              lend_region(fd, 1, 0, hole, size, gone), -EFAULT);
    dev = device_memory(size, path, sizeof(path));
    if (dev) {
        expect_rc("refuse.device-memory", path,
                  lend_region(fd, 1, 0, hole, size, dev), -EACCES);
        munmap(dev, size);
    } else {
        skip("refuse.device-memory", "no PCI memory BAR could be mapped");
    }

    /* Two slots over one gpa range. */
    if (expect_rc("refuse.hole-lend", "2 pages at the hole",
                  lend_region(fd, 1, 0, hole, 2 * PAGE, mem), 0)) {
        struct counters c = { 2, 2, 0, 2 };

        expect_info("refuse.hole-info", fd, 1, 2, &c);
        expect_rc("refuse.overlap", "second slot at hole+0x1000",
                  lend_region(fd, 2, 0, hole + PAGE, 2 * PAGE, mem + PAGE),
                  -EEXIST);
        expect_rc("refuse.remove", "remove the first slot",
                  lend_region(fd, 1, 0, 0, 0, NULL), 0);
        expect_rc("refuse.removed", "SLOT_INFO of the removed slot",
                  lend_info(fd, 1, &info), -ENOENT);
    }
    expect_rc("refuse.remove-unknown", "remove slot 77",
              lend_region(fd, 77, 0, 0, 0, NULL), -ENOENT);
    close(fd);
    munmap(mem, size);
    munmap(priv, size);
}

static void refuse_raw(uint16_t domid, uint64_t hole)
{
    uint64_t gfn = hole / PAGE;
    static uint64_t frames[XENMEM_LEND_MAX_BATCH + 1];
    uint64_t bad = ~0ULL >> 20;

    if (dom0_is_pv()) {
        /* MFN 0 is never dom0's.  (On PVH it would be dom0's gfn 0.) */
        expect_rc("refuse.raw-mfn0", "lend MFN 0",
                  raw_lend_refused(domid, 0, gfn, 1, frames, 1), -EPERM);
    } else {
        skip("refuse.raw-mfn0", "dom0 is not PV: frame 0 is its own gfn");
    }
    /* No such frame: Xen may call it not owned or invalid. */
    expect_rc2("refuse.raw-mfn-invalid", "lend MFN 0xfffffffffff",
               raw_lend_refused(domid, 0, gfn, 1, &bad, 1), -EPERM,
               -EINVAL);
    expect_rc("refuse.raw-nr513", "nr 513",
              raw_lend_refused(domid, 0, gfn, XENMEM_LEND_MAX_BATCH + 1,
                               frames, XENMEM_LEND_MAX_BATCH + 1), -EINVAL);
    expect_rc("refuse.raw-nr0", "nr 0",
              raw_lend_refused(domid, 0, gfn, 0, frames, 1), -EINVAL);
    expect_rc("refuse.raw-flags", "flags 1",
              raw_lend_refused(domid, 1, gfn, 1, frames, 1), -EINVAL);
    expect_rc("refuse.raw-cmd", "cmd 99",
              raw_lend(domid, 99, 0, gfn, 1, frames, 1, NULL), -EINVAL);
    expect_rc("refuse.raw-self", "lend to domid 0 (dom0 itself)",
              raw_lend_refused(0, 0, gfn, 1, frames, 1), -EPERM);
    expect_rc("refuse.raw-nodomain", "lend to domid 0x7fef",
              raw_lend_refused(DOMID_FIRST_RESERVED - 1, 0, gfn, 1, frames,
                               1), -ESRCH);
}

static int cmd_refuse(uint16_t domid, uint64_t hole)
{
    uint32_t version = 0, count0 = 0, count1 = 0;
    int rc, rc0;

    printf("refuse: domain %u, hole 0x%" PRIx64 "\n", domid, hole);
    rc = raw_init();
    if (rc) {
        fail("refuse.privcmd", "expected /dev/xen/privcmd got %s",
             err_name(rc));
        return 1;
    }
    rc = raw_version(&version);
    if (rc || version != XENMEM_LEND_ABI) {
        fail("refuse.version", "expected XENMEM_lend ABI 1 got %s/%u",
             err_name(rc), version);
        return 1;
    }
    pass("refuse.version", "XENMEM_lend ABI %u", version);
    rc0 = raw_count(domid, &count0);

    refuse_module(domid, hole);
    refuse_raw(domid, hole);

    rc = raw_count(domid, &count1);
    if (rc0 || rc || count0 != count1) {
        fail("refuse.count", "expected xen-lent-count unchanged got %s/%u "
             "-> %s/%u", err_name(rc0), count0, err_name(rc), count1);
    } else {
        pass("refuse.count", "xen-lent-count %u before and after", count1);
    }
    printf("%s refuse: %d failed\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}


/* @what (returning @rc) dropped one lent page of slot 1: it is revoked. */
static void expect_one_revoked(const char *name, const char *what, int rc,
                               int fd, uint64_t pages, struct counters *c)
{
    if (rc) {
        fail(name, "expected %s 0 got %s", what, err_name(-errno));
        return;
    }
    c->nr_lent--;
    c->xen_nr_lent--;
    c->revocations++;
    expect_info(name, fd, 1, pages, c);
}

/* LEND_REGION again with slot 1's parameters lends all of it again. */
static void expect_relent(const char *name, int fd, uint64_t gpa,
                          uint64_t size, void *mem, uint64_t pages,
                          struct counters *c)
{
    if (expect_rc(name, "LEND_REGION again",
                  lend_region(fd, 1, 0, gpa, size, mem), 0)) {
        c->lends += pages - c->nr_lent;
        c->nr_lent = c->xen_nr_lent = pages;
        expect_info(name, fd, 1, pages, c);
    }
}

static int cmd_lend(uint16_t domid, uint64_t gpa, uint64_t pages, bool hold)
{
    const char *cmd = hold ? "hold" : "lend";
    size_t size = pages * PAGE;
    uint64_t k_dontneed = 0, k_punch = pages - 1;
    struct privcmd_lend_slot_info info;
    struct counters c;
    char name[64], *mem;
    int fd, memfd, dmabuf, rc;
    uint32_t count;

    printf("%s: domain %u, gpa 0x%" PRIx64 ", %" PRIu64 " pages\n", cmd,
           domid, gpa, pages);
    if (raw_init() == 0 && raw_count(domid, &count) == 0) {
        printf("xen-lent-count %u before\n", count);
    }
    mem = memfd_buf(pages, &memfd);
    if (!mem) {
        fail(cmd, "expected a memfd buffer got %s", err_name(-errno));
        return 1;
    }
    fd = lend_open();
    if (fd < 0) {
        return 1;
    }
#define NAME(s) (snprintf(name, sizeof(name), "%s.%s", cmd, s), name)
    if (!expect_rc(NAME("restrict"), "RESTRICT", lend_restrict(fd, domid),
                   0) ||
        !expect_rc(NAME("create"), "LEND_REGION",
                   lend_region(fd, 1, 0, gpa, size, mem), 0)) {
        return 1;
    }
    c = (struct counters){ pages, pages, 0, pages };
    if (!expect_info(NAME("info"), fd, 1, pages, &c)) {
        return 1;
    }
    if (raw_count(domid, &count) == 0) {
        printf("xen-lent-count %u after the lend\n", count);
    }

    if (hold) {
        pass("hold", "%" PRIu64 " pages lent at 0x%" PRIx64 ", pid %d "
             "holding until killed", pages, gpa, (int)getpid());
        for (;;) {
            pause();
        }
    }

    /* (a) A page the process drops is revoked. */
    rc = madvise(mem + k_dontneed * PAGE, PAGE, MADV_DONTNEED);
    expect_one_revoked(NAME("dontneed"), "madvise", rc, fd, pages, &c);

    /* (b) The same parameters again lend what is not lent now. */
    expect_relent(NAME("relend"), fd, gpa, size, mem, pages, &c);

    /* (c) A hole punched in the file is revoked. */
    rc = fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                   k_punch * PAGE, PAGE);
    expect_one_revoked(NAME("punch"), "fallocate", rc, fd, pages, &c);
    expect_relent(NAME("relend-punched"), fd, gpa, size, mem, pages, &c);

    /* (d) Unmapping everything revokes everything. */
    if (munmap(mem, size)) {
        fail(NAME("munmap"), "expected munmap 0 got %s", err_name(-errno));
    } else {
        c.revocations += c.nr_lent;
        c.nr_lent = c.xen_nr_lent = 0;
        expect_info(NAME("munmap"), fd, 1, pages, &c);
    }

    /* (e) Removal. */
    expect_rc(NAME("remove"), "LEND_REGION size 0",
              lend_region(fd, 1, 0, 0, 0, NULL), 0);
    expect_rc(NAME("removed"), "SLOT_INFO after removal",
              lend_info(fd, 1, &info), -ENOENT);

    /* (f) A udmabuf's pages (VM_PFNMAP) lend, and unmapping revokes. */
    mem = udmabuf_buf(pages, &dmabuf);
    if (!mem && errno == ENOENT) {
        skip(NAME("udmabuf"), "no /dev/udmabuf");
    } else if (!mem) {
        fail(NAME("udmabuf"), "expected a udmabuf got %s", err_name(-errno));
    } else if (expect_rc(NAME("udmabuf"), "LEND_REGION of a udmabuf",
                         lend_region(fd, 1, 0, gpa, size, mem), 0)) {
        struct counters u = { pages, pages, 0, pages };

        expect_info(NAME("udmabuf-info"), fd, 1, pages, &u);
        munmap(mem, size);
        u.revocations = pages;
        u.nr_lent = u.xen_nr_lent = 0;
        expect_info(NAME("udmabuf-munmap"), fd, 1, pages, &u);
        expect_rc(NAME("udmabuf-remove"), "LEND_REGION size 0",
                  lend_region(fd, 1, 0, 0, 0, NULL), 0);
        close(dmabuf);
    }
#undef NAME
    close(fd);
    close(memfd);
    if (raw_count(domid, &count) == 0) {
        printf("xen-lent-count %u after\n", count);
    }
    printf("%s lend: %" PRIu64 " pages at 0x%" PRIx64 ", lends %" PRIu64
           " revocations %" PRIu64 ", %d failed\n", failures ? "FAIL" : "PASS",
           pages, gpa, c.lends, c.revocations, failures);
    return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    int n = -1;

    return s[0] != '-' && sscanf(s, "%" SCNi64 "%n", (int64_t *)v, &n) == 1 &&
           n == (int)strlen(s) && *v <= max;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: xen-lend-test refuse DOMID [--hole GPA]\n"
            "       xen-lend-test lend DOMID GPA PAGES\n"
            "       xen-lend-test hold DOMID GPA PAGES\n"
            "       xen-lend-test count [DOMID]\n"
            "       xen-lend-test version\n");
    return 1;
}

int main(int argc, char **argv)
{
    uint64_t domid = 0, gpa = DEFAULT_HOLE, pages;
    const char *cmd = argc > 1 ? argv[1] : "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && !parse_u64(argv[2], DOMID_FIRST_RESERVED - 1, &domid)) {
        return usage();
    }
    if (!strcmp(cmd, "version") && argc == 2) {
        return cmd_version();
    }
    if (!strcmp(cmd, "count") && argc <= 3) {
        return cmd_count(domid);
    }
    if (!strcmp(cmd, "refuse") && (argc == 3 || argc == 5)) {
        if (argc == 5 && (strcmp(argv[3], "--hole") ||
                          !parse_u64(argv[4], ~0ULL, &gpa) ||
                          gpa % PAGE)) {
            return usage();
        }
        return cmd_refuse(domid, gpa);
    }
    if ((!strcmp(cmd, "lend") || !strcmp(cmd, "hold")) && argc == 5) {
        if (!parse_u64(argv[3], ~0ULL, &gpa) || gpa % PAGE ||
            !parse_u64(argv[4], 1UL << 24, &pages) || !pages) {
            return usage();
        }
        return cmd_lend(domid, gpa, pages, !strcmp(cmd, "hold"));
    }
    return usage();
}
