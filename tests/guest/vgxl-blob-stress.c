/*
 * vgxl-blob-stress: create, map, fill, check, unmap and destroy Venus host
 * blobs in a loop, through the virtio-gpu DRM uAPI.
 *
 * Each iteration creates a mappable HOST3D blob of a size from a fixed
 * cycle (4 KiB .. 2 MiB), maps it, checks that it reads as zeroes (a
 * blob_id 0 blob is fresh shared memory, so anything else is a previous
 * blob's data still showing through the window), writes a pattern that
 * depends on the iteration and the offset, checks every word, waits a
 * little and checks every word again (so that a host-side revocation or
 * re-lend between the passes is exercised), then unmaps and destroys it.
 * Blobs are placed at varying offsets of the hostmem window as they come
 * and go, so stale mappings and wrong offsets show up as bad words.
 *
 * usage: vgxl-blob-stress [ITERATIONS]      (default 2000)
 *        vgxl-blob-stress --cycles SECONDS  create + map + touch one word
 *                                           per page + unmap + close of a
 *                                           4 KiB blob, as fast as it goes
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <signal.h>

#include "vgxl-blob.h"

#define DEFAULT_ITERS 2000
#define PROGRESS_EVERY 500
#define PAGE 4096
#define CYCLE_SIZE PAGE
#define RECHECK_DELAY_US 100

#define KiB ((uint64_t)1024)
#define MiB ((uint64_t)1024 * 1024)

/*
 * Mostly small blobs, with a few large ones, so that the window is reused
 * at many different offsets and sizes.
 */
static const uint64_t sizes[] = {
    4 * KiB, 64 * KiB, 12 * KiB, 1 * MiB, 8 * KiB, 256 * KiB, 4 * KiB,
    2 * MiB, 20 * KiB, 128 * KiB, 4 * KiB, 512 * KiB, 36 * KiB, 16 * KiB,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/*
 * Where a SIGBUS or SIGSEGV is reported from: the blob being touched.
 * Volatile, because the signal handler reads it.
 */
static volatile struct {            /* volatile: see above */
    uint64_t iter;
    uintptr_t base;
    uint64_t size;
    uint32_t res;
} cur;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    char msg[256];
    uintptr_t addr = (uintptr_t)si->si_addr;
    int len;

    len = snprintf(msg, sizeof(msg), "blob-stress: FAIL (%s at offset 0x%"
                   PRIxPTR " of blob res %u, size 0x%" PRIx64
                   ", iteration %" PRIu64 ")\n",
                   sig == SIGBUS ? "SIGBUS" : "SIGSEGV", addr - cur.base,
                   cur.res, cur.size, cur.iter);
    if (write(STDOUT_FILENO, msg, len) < 0) {
        /* Nothing left to report it to. */
    }
    _exit(1);
}

static uint64_t pattern(uint64_t iter, uint64_t word)
{
    /* Iteration and offset both change every bit of the word. */
    return ((iter << 32) ^ word) * 0x9e3779b97f4a7c15ull ^
           0x5a5aa5a5c3c33c3cull;
}

/*
 * Check the whole blob against the pattern (or against zero when @zero),
 * and when @fill, write the pattern once the word is checked.  Returns the
 * index of the first bad word, or -1.
 */
static int64_t pass(VgxlWord *p, uint64_t words, uint64_t iter,
                    int zero, int fill, uint64_t *got)
{
    uint64_t i, v;

    for (i = 0; i < words; i++) {
        v = p[i];
        if (v != (zero ? 0 : pattern(iter, i))) {
            *got = v;
            return i;
        }
        if (fill) {
            p[i] = pattern(iter, i);
        }
    }
    return -1;
}

/*
 * After a bad word: which words of the blob are bad now, as ranges, so
 * that a lost page, a shifted mapping and a single torn word look
 * different.  The first @filled words should hold the pattern, the rest
 * zeroes.
 */
static void report_damage(VgxlWord *p, uint64_t words,
                          uint64_t iter, uint64_t filled, const char *when)
{
    uint64_t i, nbad = 0, start = 0, ranges = 0, v;
    int bad, in_bad = 0;

    for (i = 0; i <= words; i++) {
        bad = 0;
        if (i < words) {
            v = p[i];
            bad = v != (i < filled ? pattern(iter, i) : 0);
        }
        if (bad) {
            nbad++;
            if (!in_bad) {
                start = i;
                in_bad = 1;
                if (ranges < 8) {
                    printf("blob-stress:   %s: bad from 0x%" PRIx64
                           ", which reads 0x%016" PRIx64 "\n", when,
                           start * sizeof(uint64_t), v);
                }
            }
        } else if (in_bad) {
            in_bad = 0;
            if (ranges < 8) {
                printf("blob-stress:   %s: bad to 0x%" PRIx64 "\n", when,
                       i * sizeof(uint64_t));
            }
            ranges++;
        }
    }
    printf("blob-stress:   %s: %" PRIu64 " bad words of %" PRIu64 " in %"
           PRIu64 " ranges\n", when, nbad, words, ranges);
}

static int fail_op(uint64_t iter, uint64_t size, const char *what, int err)
{
    printf("blob-stress: FAIL (iteration %" PRIu64 ", size 0x%" PRIx64
           ": %s: %s)\n", iter, size, what, strerror(-err));
    return 1;
}

static int stress(int fd, uint64_t iters)
{
    static const char *const pass_name[] = {
        "fresh blob is not zero (stale data in the window)",
        "pattern check right after writing",
        "pattern check after a delay",
    };
    uint64_t iter, bytes = 0, got = 0;
    double t0 = vgxl_now(), dt;
    const char *what = NULL;
    VgxlBlob b;
    int64_t bad;
    int ret, k;

    for (iter = 0; iter < iters; iter++) {
        uint64_t size = sizes[iter % NSIZES];
        uint64_t words = size / sizeof(uint64_t);

        ret = vgxl_blob_create(fd, size, &b, &what);
        if (ret) {
            return fail_op(iter, size, what, ret);
        }
        cur.iter = iter;
        cur.base = (uintptr_t)b.ptr;
        cur.size = size;
        cur.res = b.res_handle;
        for (k = 0; k < 3; k++) {
            if (k == 2) {
                usleep(RECHECK_DELAY_US);
            }
            bad = pass(b.ptr, words, iter, k == 0, k == 0, &got);
            if (bad >= 0) {
                printf("blob-stress: FAIL (iteration %" PRIu64 ", blob res"
                       " %u, size 0x%" PRIx64 ": %s: first bad offset 0x%"
                       PRIx64 ": got 0x%016" PRIx64 ", expected 0x%016"
                       PRIx64 ")\n", iter, b.res_handle, size,
                       pass_name[k], bad * sizeof(uint64_t), got,
                       k == 0 ? 0 : pattern(iter, bad));
                /* Transient (a racing access) or lasting (lost data)? */
                report_damage(b.ptr, words, iter, k == 0 ? bad : words,
                              "right after");
                usleep(100 * 1000);
                report_damage(b.ptr, words, iter, k == 0 ? bad : words,
                              "100 ms later");
                return 1;
            }
            bytes += size;
        }
        cur.base = 0;
        ret = vgxl_blob_destroy(fd, &b, &what);
        if (ret) {
            return fail_op(iter, size, what, ret);
        }
        if ((iter + 1) % PROGRESS_EVERY == 0) {
            printf("blob-stress: %" PRIu64 "/%" PRIu64 " iterations, %"
                   PRIu64 " MiB checked, %.1f s\n", iter + 1, iters,
                   bytes / MiB, vgxl_now() - t0);
            fflush(stdout);
        }
    }
    dt = vgxl_now() - t0;
    printf("blob-stress: PASS %" PRIu64 " iterations, %" PRIu64
           " bytes checked, %.1f cycles/s\n", iters, bytes, iters / dt);
    return 0;
}

static int cycles(int fd, double seconds)
{
    double t0 = vgxl_now(), dt;
    const char *what = NULL;
    uint64_t n = 0, off;
    VgxlWord32 *w;
    VgxlBlob b;
    int ret;

    do {
        ret = vgxl_blob_create(fd, CYCLE_SIZE, &b, &what);
        if (ret) {
            return fail_op(n, CYCLE_SIZE, what, ret);
        }
        cur.iter = n;
        cur.base = (uintptr_t)b.ptr;
        cur.size = CYCLE_SIZE;
        cur.res = b.res_handle;
        /* One word per page: enough to fault in every page of the map. */
        for (off = 0; off < CYCLE_SIZE; off += PAGE) {
            w = (VgxlWord32 *)((char *)b.ptr + off);
            *w = (uint32_t)(n ^ off);
            if (*w != (uint32_t)(n ^ off)) {
                printf("blob-stress: FAIL (cycle %" PRIu64 ": offset 0x%"
                       PRIx64 " reads 0x%08x after writing 0x%08x)\n", n,
                       off, *w, (uint32_t)(n ^ off));
                return 1;
            }
        }
        ret = vgxl_blob_destroy(fd, &b, &what);
        if (ret) {
            return fail_op(n, CYCLE_SIZE, what, ret);
        }
        n++;
        dt = vgxl_now() - t0;
    } while (dt < seconds);
    printf("blob-cycles: %.1f per second (%" PRIu64 " cycles of %u bytes"
           " in %.2f s)\n", n / dt, n, CYCLE_SIZE, dt);
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {
        .sa_sigaction = on_fault,
        .sa_flags = SA_SIGINFO,
    };
    double seconds = 0;
    uint64_t iters = DEFAULT_ITERS;
    char *end;
    int fd, ret;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "--cycles")) {
        seconds = strtod(argv[2], &end);
        if (*end || seconds <= 0) {
            goto usage;
        }
    } else if (argc == 2) {
        char extra;

        /* sscanf: the guest programs do not link QEMU's cutils */
        if (sscanf(argv[1], "%" SCNu64 "%c", &iters, &extra) != 1 ||
            iters == 0) {
            goto usage;
        }
    } else if (argc != 1) {
        goto usage;
    }

    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    fd = vgxl_open_venus("blob-stress");
    if (fd < 0) {
        return 1;
    }
    ret = seconds > 0 ? cycles(fd, seconds) : stress(fd, iters);
    close(fd);
    return ret;

usage:
    fprintf(stderr, "usage: %s [ITERATIONS] | --cycles SECONDS\n", argv[0]);
    return 2;
}
