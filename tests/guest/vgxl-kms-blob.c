/*
 * vgxl-kms-blob: a Venus host blob as the framebuffer of the first CRTC,
 * through KMS as a compositor does it (ADDFB2 and SETCRTC on card0), with
 * a picture the host checks pixel by pixel in a QMP screendump.  Where
 * no console has GL (virgl off, or in an EGL context of its own) the
 * device once aborted here, in dpy_gl_update().
 *
 * Pixel (x, y) is XRGB8888 with red (x * 7 + y), green (y * 3) and blue
 * (x + 2 * y), each modulo 256; test-guest.sh computes the same.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vgxl-blob.h"
#include "vgxl-kms.h"

#define PROG "vgxl-kms-blob"

static int fail(const char *what)
{
    printf(PROG ": FAIL (%s: %s)\n", what, strerror(errno));
    return 1;
}

int main(void)
{
    const char *what;
    VgxlOutput out;
    uint32_t w, h, x, y;
    VgxlBlob blob;
    uint32_t *px;
    int fd, ret;

    fd = vgxl_open_venus_node(PROG, "/dev/dri/card0");
    if (fd < 0) {
        return 1;
    }
    ret = vgxl_kms_output(fd, &out, &what);
    if (ret) {
        errno = -ret;
        return fail(what);
    }
    w = out.mode.hdisplay;
    h = out.mode.vdisplay;

    ret = vgxl_blob_create(fd, ((uint64_t)w * h * 4 + 4095) & ~4095ull,
                           &blob, &what);
    if (ret) {
        errno = -ret;
        return fail(what);
    }
    px = blob.ptr;
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            px[y * w + x] = ((x * 7 + y) & 0xff) << 16 |
                            ((y * 3) & 0xff) << 8 | ((x + 2 * y) & 0xff);
        }
    }

    /* SET_SCANOUT_BLOB and RESOURCE_FLUSH of the blob. */
    ret = vgxl_kms_show(fd, &out, blob.handle, w * 4, &what);
    if (ret) {
        errno = -ret;
        return fail(what);
    }
    printf(PROG ": %ux%u host blob %u on CRTC %u\n", w, h, blob.res_handle,
           out.crtc_id);
    printf("VGXL-SCREENDUMP-READY\n");
    fflush(stdout);
    /* Hold the CRTC while the host takes its screendump. */
    sleep(15);
    printf(PROG ": PASS\n");
    return 0;
}
