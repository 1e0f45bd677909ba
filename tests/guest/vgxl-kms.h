/*
 * vgxl-kms.h: what vgxl-kms-blob and vgxl-gl share: the first CRTC and
 * connector of card0 with the connector's preferred mode, and showing a
 * buffer there through KMS as a compositor does it (ADDFB2, SETCRTC).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VGXL_KMS_H
#define VGXL_KMS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <drm/drm.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_mode.h>

typedef struct VgxlOutput {
    uint32_t crtc_id;
    uint32_t conn_id;
    struct drm_mode_modeinfo mode;  /* the connector's preferred one */
} VgxlOutput;

/* The first output of @fd; 0, or -errno with *@what the failing step. */
static inline int vgxl_kms_output(int fd, VgxlOutput *out, const char **what)
{
    struct drm_mode_card_res res = { 0 };
    struct drm_mode_get_connector conn = { 0 };
    uint32_t crtcs[16], conns[16];
    struct drm_mode_modeinfo modes[64];

    *what = "DRM_IOCTL_MODE_GETRESOURCES";
    if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
        return -errno;
    }
    if (!res.count_crtcs || !res.count_connectors) {
        *what = "no CRTC or no connector";
        return -ENODEV;
    }
    res.count_crtcs = res.count_crtcs < 16 ? res.count_crtcs : 16;
    res.count_connectors = res.count_connectors < 16 ?
                           res.count_connectors : 16;
    res.count_fbs = res.count_encoders = 0;
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.connector_id_ptr = (uintptr_t)conns;
    if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
        return -errno;
    }
    conn.connector_id = conns[0];
    *what = "DRM_IOCTL_MODE_GETCONNECTOR";
    if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn)) {
        return -errno;
    }
    if (!conn.count_modes) {
        *what = "the connector has no mode";
        return -ENODEV;
    }
    conn.count_modes = conn.count_modes < 64 ? conn.count_modes : 64;
    conn.count_props = conn.count_encoders = 0;
    conn.modes_ptr = (uintptr_t)modes;
    if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn)) {
        return -errno;
    }
    out->crtc_id = crtcs[0];
    out->conn_id = conns[0];
    out->mode = modes[0];
    return 0;
}

/*
 * Show the XRGB8888 buffer of GEM handle @handle, @pitch bytes a line, on
 * @out; 0, or -errno with *@what the failing step.
 */
static inline int vgxl_kms_show(int fd, VgxlOutput *out, uint32_t handle,
                                uint32_t pitch, const char **what)
{
    struct drm_mode_fb_cmd2 fb = { 0 };
    struct drm_mode_crtc crtc = { 0 };

    fb.width = out->mode.hdisplay;
    fb.height = out->mode.vdisplay;
    fb.pixel_format = DRM_FORMAT_XRGB8888;
    fb.handles[0] = handle;
    fb.pitches[0] = pitch;
    *what = "DRM_IOCTL_MODE_ADDFB2";
    if (ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &fb)) {
        return -errno;
    }
    crtc.crtc_id = out->crtc_id;
    crtc.fb_id = fb.fb_id;
    crtc.set_connectors_ptr = (uintptr_t)&out->conn_id;
    crtc.count_connectors = 1;
    crtc.mode = out->mode;
    crtc.mode_valid = 1;
    *what = "DRM_IOCTL_MODE_SETCRTC";
    if (ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc)) {
        return -errno;
    }
    return 0;
}

#endif
