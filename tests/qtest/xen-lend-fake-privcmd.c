/*
 * A fake /dev/xen/privcmd-lend with the memory lending ABI, preloaded into
 * QEMU by the privcmd qtest.  It implements the ABI of
 * docs/interop/xen-memory-lending.rst as a kernel would check it, and
 * logs every call to $FAKE_PRIVCMD_LOG so the test can compare the calls
 * with what the device should have done.  While the file that
 * $FAKE_PRIVCMD_FAIL names exists, every lend fails.  It also watches mmap(),
 * mremap() and munmap(): memory that is lent must not be replaced or
 * unmapped before it is unlent.  With FAKE_PRIVCMD_NO_LEND set,
 * it is a privcmd from before lending: the lending ioctls fail ENOTTY.
 * FAKE_PRIVCMD_UNLEND_DELAY_MS makes each unlend take that long, and it
 * is logged only once done, as a kernel's returns only once the guest
 * lost the memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/* Define open() and open64() both, not one renamed to the other. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/xen/privcmd-lend.h"

#define MAX_SLOTS 64    /* slots one fd may hold; their ids are any */
#define PAGE 4096

static int fake_fd = -1;
static bool restricted;
static struct privcmd_lend_region slots[MAX_SLOTS];
static bool used[MAX_SLOTS];

static void __attribute__((format(printf, 1, 2)))
fake_log(const char *fmt, ...)
{
    const char *path = getenv("FAKE_PRIVCMD_LOG");
    va_list ap;
    FILE *f;

    if (!path) {
        return;
    }
    f = fopen(path, "a");
    if (!f) {
        return;
    }
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static bool is_privcmd(const char *path)
{
    return !strcmp(path, PRIVCMD_LEND_PATH);
}

static int fake_open(void)
{
    fake_fd = memfd_create("fake-privcmd", MFD_CLOEXEC);
    fake_log("open");
    return fake_fd;
}

#define OPEN_WRAPPER(name)                                               \
    int name(const char *path, int flags, ...)                           \
    {                                                                    \
        static int (*real)(const char *, int, ...);                      \
        mode_t mode = 0;                                                 \
        va_list ap;                                                      \
                                                                         \
        if (is_privcmd(path)) {                                          \
            return fake_open();                                          \
        }                                                                \
        va_start(ap, flags);                                             \
        if (flags & (O_CREAT | O_TMPFILE)) {                             \
            mode = va_arg(ap, mode_t);                                   \
        }                                                                \
        va_end(ap);                                                      \
        if (!real) {                                                     \
            real = dlsym(RTLD_NEXT, #name);                              \
        }                                                                \
        return real(path, flags, mode);                                  \
    }

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

/* What _FORTIFY_SOURCE makes of an open() without O_CREAT (clang's). */
#define OPEN_2_WRAPPER(name)                                             \
    int name(const char *path, int flags)                                \
    {                                                                    \
        static int (*real)(const char *, int);                           \
                                                                         \
        if (is_privcmd(path)) {                                          \
            return fake_open();                                          \
        }                                                                \
        if (!real) {                                                     \
            real = dlsym(RTLD_NEXT, #name);                              \
        }                                                                \
        return real(path, flags);                                        \
    }

/* glibc declares them only under _FORTIFY_SOURCE. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
OPEN_2_WRAPPER(__open_2)
OPEN_2_WRAPPER(__open64_2)
#pragma GCC diagnostic pop

/* Where slot @id is kept, or -1. */
static int find_slot(uint32_t id)
{
    int i;

    for (i = 0; i < MAX_SLOTS; i++) {
        if (used[i] && slots[i].slot == id) {
            return i;
        }
    }
    return -1;
}

static int fake_region(struct privcmd_lend_region *r)
{
    int i, at = find_slot(r->slot);

    if (!r->size) {
        if (at < 0) {
            fake_log("VIOLATION unlend of unknown slot %u", r->slot);
            return -ENOENT;
        }
        if (getenv("FAKE_PRIVCMD_UNLEND_DELAY_MS")) {
            usleep(atoi(getenv("FAKE_PRIVCMD_UNLEND_DELAY_MS")) * 1000);
        }
        used[at] = false;
        fake_log("unlend slot=%u", r->slot);
        return 0;
    }
    for (i = 0; at < 0 && i < MAX_SLOTS; i++) {
        if (!used[i]) {
            at = i;
        }
    }
    if (at < 0) {
        fake_log("lend slot=%u: no slot left", r->slot);
        return -ENOSPC;
    }
    /* A lender with no page to give, while the file named exists. */
    if (getenv("FAKE_PRIVCMD_FAIL") &&
        !access(getenv("FAKE_PRIVCMD_FAIL"), F_OK)) {
        fake_log("lend slot=%u fails", r->slot);
        return -ENOMEM;
    }
    if ((r->guest_phys_addr | r->size | r->userspace_addr) % PAGE) {
        fake_log("VIOLATION unaligned slot %u", r->slot);
        return -EINVAL;
    }
    if (r->flags & ~(PRIVCMD_LEND_READONLY | PRIVCMD_LEND_FAULT_ZERO |
                     PRIVCMD_LEND_FAULT_INJECT)) {
        fake_log("VIOLATION flags 0x%x", r->flags);
        return -EINVAL;
    }
    for (i = 0; i < MAX_SLOTS; i++) {
        if (used[i] && i != at &&
            r->guest_phys_addr < slots[i].guest_phys_addr + slots[i].size &&
            slots[i].guest_phys_addr < r->guest_phys_addr + r->size) {
            fake_log("VIOLATION slot %u overlaps slot %u", r->slot,
                     slots[i].slot);
            return -EEXIST;
        }
    }
    /* The backing must be the caller's memory, as the kernel checks. */
    if (msync((void *)(uintptr_t)r->userspace_addr, r->size, MS_ASYNC)) {
        fake_log("VIOLATION slot %u backed by unmapped memory", r->slot);
        return -EFAULT;
    }
    slots[at] = *r;
    used[at] = true;
    /* Large pages need guest and host addresses equal modulo 2 MiB. */
    fake_log("lend slot=%u gpa=0x%llx size=0x%llx flags=0x%x 2m-congruent=%d",
             r->slot, (unsigned long long)r->guest_phys_addr,
             (unsigned long long)r->size, r->flags,
             !((r->guest_phys_addr ^ r->userspace_addr) & (0x200000 - 1)));
    return 0;
}

/* Whether [@addr, @addr + @len) holds memory lent to the guest. */
static void check_not_lent(const char *call, void *addr, size_t len)
{
    uintptr_t start = (uintptr_t)addr;
    int i;

    for (i = 0; i < MAX_SLOTS; i++) {
        if (used[i] && start < slots[i].userspace_addr + slots[i].size &&
            slots[i].userspace_addr < start + len) {
            fake_log("VIOLATION %s of slot %u's memory while it is lent",
                     call, slots[i].slot);
        }
    }
}

#define MMAP_WRAPPER(name)                                               \
    void *name(void *addr, size_t len, int prot, int flags, int fd,      \
               off_t off)                                                \
    {                                                                    \
        static void *(*real)(void *, size_t, int, int, int, off_t);      \
                                                                         \
        if (flags & MAP_FIXED) {                                         \
            check_not_lent(#name, addr, len);                            \
        }                                                                \
        if (!real) {                                                     \
            real = dlsym(RTLD_NEXT, #name);                              \
        }                                                                \
        return real(addr, len, prot, flags, fd, off);                    \
    }

MMAP_WRAPPER(mmap)
MMAP_WRAPPER(mmap64)

void *mremap(void *old, size_t old_len, size_t len, int flags, ...)
{
    static void *(*real)(void *, size_t, size_t, int, ...);
    void *new = NULL;
    va_list ap;

    va_start(ap, flags);
    if (flags & MREMAP_FIXED) {
        new = va_arg(ap, void *);
        check_not_lent("mremap", new, len);
    }
    va_end(ap);
    /* A size of 0 duplicates the mapping and leaves it in place. */
    if (old_len) {
        check_not_lent("mremap", old, old_len);
    }
    if (!real) {
        real = dlsym(RTLD_NEXT, "mremap");
    }
    return real(old, old_len, len, flags, new);
}

int munmap(void *addr, size_t len)
{
    static int (*real)(void *, size_t);

    check_not_lent("munmap", addr, len);
    if (!real) {
        real = dlsym(RTLD_NEXT, "munmap");
    }
    return real(addr, len);
}

int ioctl(int fd, unsigned long req, ...)
{
    static int (*real_ioctl)(int, unsigned long, ...);
    void *arg;
    va_list ap;
    int ret = 0;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (fd != fake_fd || fd < 0) {
        if (!real_ioctl) {
            real_ioctl = dlsym(RTLD_NEXT, "ioctl");
        }
        return real_ioctl(fd, req, arg);
    }

    if (req == IOCTL_PRIVCMD_LEND_RESTRICT) {
        restricted = true;
        fake_log("restrict domid=%u", *(uint16_t *)arg);
    } else if (getenv("FAKE_PRIVCMD_NO_LEND")) {
        ret = -ENOTTY;
    } else if (!restricted) {
        fake_log("VIOLATION lending call before restrict");
        ret = -EPERM;
    } else if (req == IOCTL_PRIVCMD_LEND_QUERY) {
        struct privcmd_lend_query *q = arg;

        q->abi_version = PRIVCMD_LEND_ABI_VERSION;
        q->max_slots = MAX_SLOTS;
        q->flags = PRIVCMD_LEND_READONLY | PRIVCMD_LEND_FAULT_ZERO |
                   PRIVCMD_LEND_FAULT_INJECT;
        fake_log("query");
    } else if (req == IOCTL_PRIVCMD_LEND_REGION) {
        ret = fake_region(arg);
    } else {
        ret = -ENOTTY;
    }
    if (ret) {
        errno = -ret;
        return -1;
    }
    return 0;
}

int close(int fd)
{
    static int (*real_close)(int);
    int i, n = 0;

    if (fd >= 0 && fd == fake_fd) {
        for (i = 0; i < MAX_SLOTS; i++) {
            n += used[i];
            used[i] = false;
        }
        fake_log("close slots=%d", n);
        fake_fd = -1;
    }
    if (!real_close) {
        real_close = dlsym(RTLD_NEXT, "close");
    }
    return real_close(fd);
}
