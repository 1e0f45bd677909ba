/*
 * vgxl-kms-blob: a Venus host blob as the framebuffer of the first CRTC,
 * through KMS as a compositor does it (ADDFB2 and SETCRTC on card0), with
 * a picture the host checks pixel by pixel in a QMP screendump.  With
 * virgl off no console has GL: the device once aborted here, in
 * dpy_gl_update().
 *
 * Pixel (x, y) is XRGB8888 with red (x * 7 + y), green (y * 3) and blue
 * (x + 2 * y), each modulo 256; test-guest.sh computes the same.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vgxl-blob.h"

#include <drm/drm_fourcc.h>

#define PROG "vgxl-kms-blob"

static int fail(const char *what)
{
    printf(PROG ": FAIL (%s: %s)\n", what, strerror(errno));
    return 1;
}

int main(void)
{
    struct drm_mode_card_res res = { 0 };
    struct drm_mode_get_connector conn = { 0 };
    struct drm_mode_fb_cmd2 fb = { 0 };
    struct drm_mode_crtc crtc = { 0 };
    struct drm_mode_modeinfo *modes;
    uint32_t *crtcs, *conns, conn_id, w, h, x, y;
    const char *what;
    VgxlBlob blob;
    uint32_t *px;
    int fd, ret;

    fd = vgxl_open_venus_node(PROG, "/dev/dri/card0");
    if (fd < 0) {
        return 1;
    }

    /* The first CRTC and the first connector, with its preferred mode. */
    if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
        return fail("DRM_IOCTL_MODE_GETRESOURCES");
    }
    if (!res.count_crtcs || !res.count_connectors) {
        printf(PROG ": FAIL (%u CRTCs, %u connectors)\n", res.count_crtcs,
               res.count_connectors);
        return 1;
    }
    crtcs = calloc(res.count_crtcs, sizeof(*crtcs));
    conns = calloc(res.count_connectors, sizeof(*conns));
    res.count_fbs = res.count_encoders = 0;
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.connector_id_ptr = (uintptr_t)conns;
    if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
        return fail("DRM_IOCTL_MODE_GETRESOURCES");
    }
    conn_id = conns[0];
    conn.connector_id = conn_id;
    if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn)) {
        return fail("DRM_IOCTL_MODE_GETCONNECTOR");
    }
    if (!conn.count_modes) {
        printf(PROG ": FAIL (connector %u has no mode)\n", conn_id);
        return 1;
    }
    modes = calloc(conn.count_modes, sizeof(*modes));
    conn.count_props = conn.count_encoders = 0;
    conn.modes_ptr = (uintptr_t)modes;
    if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn)) {
        return fail("DRM_IOCTL_MODE_GETCONNECTOR");
    }
    w = modes[0].hdisplay;
    h = modes[0].vdisplay;

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

    fb.width = w;
    fb.height = h;
    fb.pixel_format = DRM_FORMAT_XRGB8888;
    fb.handles[0] = blob.handle;
    fb.pitches[0] = w * 4;
    if (ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &fb)) {
        return fail("DRM_IOCTL_MODE_ADDFB2");
    }
    /* SET_SCANOUT_BLOB and RESOURCE_FLUSH of the blob. */
    crtc.crtc_id = crtcs[0];
    crtc.fb_id = fb.fb_id;
    crtc.set_connectors_ptr = (uintptr_t)&conn_id;
    crtc.count_connectors = 1;
    crtc.mode = modes[0];
    crtc.mode_valid = 1;
    if (ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc)) {
        return fail("DRM_IOCTL_MODE_SETCRTC");
    }
    printf(PROG ": %ux%u host blob %u on CRTC %u\n", w, h, blob.res_handle,
           crtcs[0]);
    printf("VGXL-SCREENDUMP-READY\n");
    fflush(stdout);
    /* Hold the CRTC while the host takes its screendump. */
    sleep(15);
    printf(PROG ": PASS\n");
    return 0;
}
