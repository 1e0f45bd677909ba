/*
 * vgxl-bandwidth: CPU read and write bandwidth through a mapped Venus blob
 * and through ordinary guest RAM, in the same run, so that the ratio says
 * what the blob mapping method costs (a lent blob should be close to RAM,
 * a trapped one far below it).
 *
 * Both buffers have the same size; each figure is the best of three
 * rounds, blob and RAM in turn, each round as many whole passes of 64-bit
 * volatile loads or stores as fit in about one second.  MB is 10^6
 * bytes.  The blob is checked after the measurements so that a fast but
 * wrong mapping cannot pass.
 *
 * usage: vgxl-bandwidth [KIB]   (buffer size in KiB, default 8192; a small
 *                               one for a trap path that is very slow)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vgxl-blob.h"

#define DEFAULT_KIB 8192
#define MEASURE_SECONDS 1.0
#define ROUNDS 3
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Where the loads' sums go, so that the compiler must keep the loads. */
static VgxlWord sink;

static uint64_t fill_value(uint64_t pass)
{
    return pass * 0x9e3779b97f4a7c15ull + 1;
}

/* Returns MB/s; @last is the value the final pass stored. */
static double measure_write(VgxlWord *p, uint64_t words,
                            uint64_t *last)
{
    double t0 = vgxl_now(), dt;
    uint64_t passes = 0, i, v;

    do {
        v = fill_value(passes);
        for (i = 0; i < words; i++) {
            p[i] = v;
        }
        passes++;
        dt = vgxl_now() - t0;
    } while (dt < MEASURE_SECONDS);
    *last = v;
    return passes * words * sizeof(uint64_t) / dt / 1e6;
}

/* Returns MB/s; @sum is the sum of the words that one pass loaded. */
static double measure_read(VgxlWord *p, uint64_t words,
                           uint64_t *sum)
{
    double t0 = vgxl_now(), dt;
    uint64_t passes = 0, i, s;

    do {
        s = 0;
        for (i = 0; i < words; i++) {
            s += p[i];
        }
        sink = s;
        passes++;
        dt = vgxl_now() - t0;
    } while (dt < MEASURE_SECONDS);
    *sum = s;
    return passes * words * sizeof(uint64_t) / dt / 1e6;
}

int main(int argc, char **argv)
{
    uint64_t kib = DEFAULT_KIB, size, words, last, sum, i;
    uint64_t blob_last, blob_sum;
    unsigned round;
    double bw, br, rw, rr;
    const char *what = NULL;
    VgxlWord *ram;
    VgxlBlob b;
    int fd, ret, bad = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2) {
        char extra;

        if (sscanf(argv[1], "%" SCNu64 "%c", &kib, &extra) != 1 ||
            kib < 4 || kib % 4 || kib > 1024 * 1024) {
            fprintf(stderr, "usage: %s [KIB] (a multiple of 4)\n", argv[0]);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [KIB]\n", argv[0]);
        return 2;
    }
    size = kib << 10;
    words = size / sizeof(uint64_t);

    fd = vgxl_open_venus("bandwidth");
    if (fd < 0) {
        return 1;
    }
    ret = vgxl_blob_create(fd, size, &b, &what);
    if (ret) {
        printf("bandwidth: FAIL (%" PRIu64 " KiB blob: %s: %s)\n", kib,
               what, strerror(-ret));
        return 1;
    }
    ram = malloc(size);
    if (!ram) {
        printf("bandwidth: FAIL (cannot allocate %" PRIu64 " KiB)\n", kib);
        return 1;
    }
    /* Fault every page in first, so that RAM is not charged for that. */
    memset((void *)ram, 1, size);

    /*
     * Blob and RAM in turn, the best of a few rounds of each: a nested or
     * loaded host steals time in bursts, which one round would take for
     * the mapping's cost.
     */
    bw = br = rw = rr = 0;
    for (round = 0; round < ROUNDS; round++) {
        bw = MAX(bw, measure_write(b.ptr, words, &blob_last));
        br = MAX(br, measure_read(b.ptr, words, &blob_sum));
        rw = MAX(rw, measure_write(ram, words, &last));
        rr = MAX(rr, measure_read(ram, words, &sum));
    }
    last = blob_last;
    sum = blob_sum;
    for (i = 0; i < words; i++) {
        if (((VgxlWord *)b.ptr)[i] != last) {
            printf("bandwidth: FAIL (blob offset 0x%" PRIx64 " reads 0x%"
                   PRIx64 ", wrote 0x%" PRIx64 ")\n", i * 8,
                   ((VgxlWord *)b.ptr)[i], last);
            bad = 1;
            break;
        }
    }
    if (!bad && sum != words * last) {
        printf("bandwidth: FAIL (blob read pass summed 0x%" PRIx64
               ", expected 0x%" PRIx64 ")\n", sum, words * last);
        bad = 1;
    }

    printf("bandwidth: %" PRIu64 " KiB blob (res %u) and %" PRIu64
           " KiB of RAM\n", kib, b.res_handle, kib);
    printf("VGXL-BANDWIDTH blob-read=%.3f blob-write=%.3f ram-read=%.3f"
           " ram-write=%.3f MB/s\n", br, bw, rr, rw);
    printf("VGXL-BANDWIDTH-RATIO read=%.4f write=%.4f\n", br / rr, bw / rw);

    free((void *)ram);
    ret = vgxl_blob_destroy(fd, &b, &what);
    if (ret) {
        printf("bandwidth: FAIL (%s: %s)\n", what, strerror(-ret));
        bad = 1;
    }
    close(fd);
    return bad;
}
