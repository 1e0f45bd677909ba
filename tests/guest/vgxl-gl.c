/*
 * vgxl-gl: OpenGL ES 2 through the virtio-gpu device (Mesa's virgl, or
 * zink on Venus), checked pixel by pixel against a CPU reference.
 *
 * On a GBM surface of the guest's DRM device it uploads a texture as large
 * as the frame, draws it over the whole viewport with NEAREST sampling
 * (an exact copy), clears two scissored rectangles over it, and reads the
 * whole frame back with glReadPixels: megabytes, many pages.  It prints
 * the GL renderer, which must contain the name given with --renderer.
 *
 * With --surfaceless it renders to a pbuffer on Mesa's surfaceless
 * platform instead, which is where zink takes a CPU-type Vulkan device
 * (Venus over lavapipe).
 *
 * With --loop it draws frames until it is killed, for the test of a client
 * killed mid-frame.
 *
 * With --kms, the frame is the size of the first connector's mode and is
 * then shown on its CRTC, held while the host compares a QMP screendump
 * with the same picture (test-guest.sh computes it too), upright: GL's
 * row 0 is the bottom of the screen.
 *
 * Pixel (x, y), y from the bottom, is red (x * 7 + y), green (y * 3) and
 * blue (x + 2 * y), each modulo 256, but inside the red and the green
 * rectangle of vgxl_rects.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vgxl-kms.h"

#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <gbm.h>

#define PROG "vgxl-gl"

/* x, y, width, height, RGB: cleared over the texture, in this order. */
static const uint32_t vgxl_rects[2][5] = {
    { 16, 16, 64, 32, 0xff0000 },
    { 40, 30, 50, 60, 0x00ff00 },
};

/* The reference picture, as 0xRRGGBB. */
static uint32_t vgxl_pixel(uint32_t x, uint32_t y)
{
    uint32_t px = ((x * 7 + y) & 0xff) << 16 | ((y * 3) & 0xff) << 8 |
                  ((x + 2 * y) & 0xff);
    int i;

    for (i = 0; i < 2; i++) {
        if (x >= vgxl_rects[i][0] && x < vgxl_rects[i][0] + vgxl_rects[i][2] &&
            y >= vgxl_rects[i][1] && y < vgxl_rects[i][1] + vgxl_rects[i][3]) {
            px = vgxl_rects[i][4];
        }
    }
    return px;
}

static int fail(const char *what)
{
    printf(PROG ": FAIL (%s: EGL 0x%x, GL 0x%x, errno %s)\n", what,
           eglGetError(), glGetError(), strerror(errno));
    return 1;
}

static GLuint shader(GLenum type, const char *src)
{
    GLuint s = glCreateShader(type);
    GLint ok = 0;

    glShaderSource(s, 1, &src, NULL);
    glCompileShader(s);
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    return ok ? s : 0;
}

/* Draw texture @tex over the whole viewport, texel for pixel. */
static int draw_texture(GLuint tex)
{
    static const GLfloat quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
    GLuint vs, fs, prog;
    GLint ok = 0;

    vs = shader(GL_VERTEX_SHADER,
                "attribute vec2 pos;\n"
                "varying highp vec2 tc;\n"
                "void main() {\n"
                "    tc = pos * 0.5 + 0.5;\n"
                "    gl_Position = vec4(pos, 0.0, 1.0);\n"
                "}\n");
    fs = shader(GL_FRAGMENT_SHADER,
                "precision highp float;\n"
                "varying highp vec2 tc;\n"
                "uniform sampler2D t;\n"
                "void main() {\n"
                "    gl_FragColor = texture2D(t, tc);\n"
                "}\n");
    if (!vs || !fs) {
        return -1;
    }
    prog = glCreateProgram();
    glAttachShader(prog, vs);
    glAttachShader(prog, fs);
    glBindAttribLocation(prog, 0, "pos");
    glLinkProgram(prog);
    glGetProgramiv(prog, GL_LINK_STATUS, &ok);
    if (!ok) {
        return -1;
    }
    glUseProgram(prog);
    glBindTexture(GL_TEXTURE_2D, tex);
    glUniform1i(glGetUniformLocation(prog, "t"), 0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
    glEnableVertexAttribArray(0);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    return glGetError() == GL_NO_ERROR ? 0 : -1;
}

int main(int argc, char **argv)
{
    EGLint config_attrs[] = {
        EGL_SURFACE_TYPE, EGL_WINDOW_BIT,
        EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
        EGL_ALPHA_SIZE, 0,
        EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
        EGL_NONE,
    };
    static const EGLint ctx_attrs[] = {
        EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE,
    };
    const char *want = "virgl", *node = "/dev/dri/renderD128", *what;
    uint32_t w = 256, h = 256, x, y, got, bad = 0;
    struct gbm_device *gbm;
    struct gbm_surface *gs = NULL;
    struct gbm_bo *bo;
    EGLConfig configs[64], config = NULL;
    EGLint n = 0, id, i;
    EGLDisplay dpy;
    EGLSurface surf;
    EGLContext ctx;
    VgxlOutput out;
    uint8_t *pixels;
    const char *renderer;
    bool kms = false, surfaceless = false, loop = false;
    GLuint tex;
    int fd = -1, ret;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--kms")) {
            kms = true;
            node = "/dev/dri/card0";
        } else if (!strcmp(argv[i], "--loop")) {
            loop = true;
        } else if (!strcmp(argv[i], "--surfaceless")) {
            surfaceless = true;
        } else if (!strcmp(argv[i], "--renderer") && i + 1 < argc) {
            want = argv[++i];
        } else {
            printf("usage: " PROG " [--kms|--surfaceless] [--loop]"
                   " [--renderer NAME]\n");
            return 2;
        }
    }

    if (surfaceless) {
        const EGLint pbuffer_attrs[] = { EGL_WIDTH, w, EGL_HEIGHT, h,
                                         EGL_NONE };

        config_attrs[1] = EGL_PBUFFER_BIT;
        dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA,
                                    EGL_DEFAULT_DISPLAY, NULL);
        if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, NULL, NULL) ||
            !eglChooseConfig(dpy, config_attrs, &config, 1, &n) || !n ||
            !eglBindAPI(EGL_OPENGL_ES_API)) {
            return fail("surfaceless EGL");
        }
        surf = eglCreatePbufferSurface(dpy, config, pbuffer_attrs);
    } else {
        fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            return fail(node);
        }
        if (kms) {
            ret = vgxl_kms_output(fd, &out, &what);
            if (ret) {
                errno = -ret;
                return fail(what);
            }
            w = out.mode.hdisplay;
            h = out.mode.vdisplay;
        }
        gbm = gbm_create_device(fd);
        gs = gbm ? gbm_surface_create(gbm, w, h, GBM_FORMAT_XRGB8888,
                                      GBM_BO_USE_RENDERING |
                                      (kms ? GBM_BO_USE_SCANOUT : 0)) : NULL;
        if (!gs) {
            return fail("gbm_surface_create");
        }
        dpy = eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, gbm, NULL);
        if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, NULL, NULL) ||
            !eglChooseConfig(dpy, config_attrs, configs, 64, &n)) {
            return fail("EGL on GBM");
        }
        /* The config whose visual is the surface's format. */
        for (i = 0; i < n; i++) {
            if (eglGetConfigAttrib(dpy, configs[i], EGL_NATIVE_VISUAL_ID,
                                   &id) && id == GBM_FORMAT_XRGB8888) {
                config = configs[i];
                break;
            }
        }
        if (!config || !eglBindAPI(EGL_OPENGL_ES_API)) {
            return fail("no XRGB8888 GLES 2 config");
        }
        surf = eglCreateWindowSurface(dpy, config, (EGLNativeWindowType)gs,
                                      NULL);
    }
    ctx = eglCreateContext(dpy, config, EGL_NO_CONTEXT, ctx_attrs);
    if (ctx == EGL_NO_CONTEXT || surf == EGL_NO_SURFACE ||
        !eglMakeCurrent(dpy, surf, surf, ctx)) {
        return fail("eglMakeCurrent");
    }
    renderer = (const char *)glGetString(GL_RENDERER);
    printf(PROG ": GL_RENDERER %s, GL_VERSION %s, %ux%u\n", renderer,
           (const char *)glGetString(GL_VERSION), w, h);
    if (!renderer || !strstr(renderer, want)) {
        printf(PROG ": FAIL (the renderer is not %s)\n", want);
        return 1;
    }

    /* The texture: the picture without the rectangles, bottom row first. */
    pixels = malloc((size_t)w * h * 4);
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            uint8_t *p = pixels + ((size_t)y * w + x) * 4;

            p[0] = x * 7 + y;
            p[1] = y * 3;
            p[2] = x + 2 * y;
            p[3] = 0xff;
        }
    }
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, pixels);
    glViewport(0, 0, w, h);
    if (draw_texture(tex)) {
        return fail("drawing the texture");
    }
    if (loop) {
        printf(PROG ": drawing until killed\n");
        fflush(stdout);
        for (;;) {
            glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
            glFinish();
        }
    }
    glEnable(GL_SCISSOR_TEST);
    for (i = 0; i < 2; i++) {
        glScissor(vgxl_rects[i][0], vgxl_rects[i][1], vgxl_rects[i][2],
                  vgxl_rects[i][3]);
        glClearColor((vgxl_rects[i][4] >> 16) / 255.0f,
                     (vgxl_rects[i][4] >> 8 & 0xff) / 255.0f,
                     (vgxl_rects[i][4] & 0xff) / 255.0f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glDisable(GL_SCISSOR_TEST);

    /* Read back: RGBA rows, bottom first, as the reference counts them. */
    memset(pixels, 0, (size_t)w * h * 4);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    if (glGetError() != GL_NO_ERROR) {
        return fail("glReadPixels");
    }
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            uint8_t *p = pixels + ((size_t)y * w + x) * 4;

            got = p[0] << 16 | p[1] << 8 | p[2];
            if (got != vgxl_pixel(x, y) && bad++ < 5) {
                printf(PROG ": pixel (%u, %u) is 0x%06x, not 0x%06x\n", x, y,
                       got, vgxl_pixel(x, y));
            }
        }
    }
    printf(PROG ": readback of %zu bytes: %u pixels differ\n",
           (size_t)w * h * 4, bad);
    if (bad) {
        return 1;
    }
    if (!kms) {
        printf(PROG ": PASS\n");
        return 0;
    }

    if (!eglSwapBuffers(dpy, surf)) {
        return fail("eglSwapBuffers");
    }
    bo = gbm_surface_lock_front_buffer(gs);
    if (!bo) {
        return fail("gbm_surface_lock_front_buffer");
    }
    ret = vgxl_kms_show(fd, &out, gbm_bo_get_handle(bo).u32,
                        gbm_bo_get_stride(bo), &what);
    if (ret) {
        errno = -ret;
        return fail(what);
    }
    printf(PROG ": %ux%u GL frame on CRTC %u\n", w, h, out.crtc_id);
    printf("VGXL-SCREENDUMP-READY\n");
    fflush(stdout);
    /* Hold the CRTC while the host takes its screendump. */
    sleep(15);
    printf(PROG ": PASS\n");
    return 0;
}
