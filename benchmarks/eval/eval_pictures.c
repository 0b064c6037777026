/* benchmarks/eval/eval_pictures.c: rollout strips (PNG, libpng), animated
 * GIFs (giflib) and the curve plots (scripts/eval_plots.py) of a pan-eval
 * report (eval_pictures.h). */
#include "benchmarks/eval/eval_pictures.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gif_lib.h>

#include "agents/c/tool.h"

#define GAP 2            /* px between panels */
#define PANELS 3         /* true | predicted | difference */
#define GIF_DELAY_CS 12  /* per frame, 1/100 s */

pan_status pan_eval_capture_init(pan_eval_capture *cap, const pan_eval_config *cfg,
                                 pan_world_config wc) {
    memset(cap, 0, sizeof *cap);
    int steps = cfg->rollout_steps < PAN_EVAL_CAPTURE_STEPS ? cfg->rollout_steps
                                                            : PAN_EVAL_CAPTURE_STEPS;
    size_t clip = (size_t)wc.height * wc.width * 3 * (1 + (size_t)steps * wc.frames_per_step);
    cap->K = wc.frames_per_step;
    cap->H = wc.height;
    cap->W = wc.width;
    cap->truth = calloc(PAN_EVAL_CAPTURE_CASES, clip);
    cap->pred = calloc(PAN_EVAL_CAPTURE_CASES, clip);
    if (!cap->truth || !cap->pred) {
        pan_eval_capture_free(cap);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval pictures: out of memory");
    }
    return PAN_OK;
}

void pan_eval_capture_free(pan_eval_capture *cap) {
    free(cap->truth);
    free(cap->pred);
    cap->truth = cap->pred = NULL;
}

/* One row of the three panels for frame pair (t, p) into row (H, RW, 3). */
static void compose(const pan_eval_capture *cap, const uint8_t *t, const uint8_t *p,
                    uint8_t *row, int rw) {
    int H = cap->H, W = cap->W;
    memset(row, 255, (size_t)H * rw * 3);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            for (int ch = 0; ch < 3; ch++) {
                size_t i = ((size_t)y * W + x) * 3 + ch;
                int d = abs((int)t[i] - (int)p[i]);
                row[((size_t)y * rw + x) * 3 + ch] = t[i];
                row[((size_t)y * rw + x + W + GAP) * 3 + ch] = p[i];
                row[((size_t)y * rw + x + 2 * (W + GAP)) * 3 + ch] = (uint8_t)(d > 63 ? 255 : d * 4);
            }
        }
    }
}

static pan_status write_strip(const char *path, const pan_eval_capture *cap, int c) {
    int H = cap->H, W = cap->W, rw = PANELS * W + (PANELS - 1) * GAP;
    int rows = 1 + cap->steps, rh = H + GAP;
    size_t fb = (size_t)H * W * 3, clip = fb * (1 + (size_t)cap->steps * cap->K);
    uint8_t *img = malloc((size_t)rows * rh * rw * 3);
    if (!img) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval pictures: out of memory");
    memset(img, 255, (size_t)rows * rh * rw * 3);
    for (int r = 0; r < rows; r++) {
        /* row 0: the start frame; row r: the last frame of step r */
        size_t k = r == 0 ? 0 : 1 + (size_t)r * cap->K - 1;
        compose(cap, cap->truth + c * clip + k * fb, cap->pred + c * clip + k * fb,
                img + (size_t)r * rh * rw * 3, rw);
    }
    char err[256];
    int rc = tool_write_png(path, img, rw, rows * rh - GAP, err, sizeof err);
    free(img);
    return rc ? pan_error_set(PAN_ERR_IO, "%s", err) : PAN_OK;
}

static pan_status write_gif(const char *path, const pan_eval_capture *cap, int c) {
    int H = cap->H, W = cap->W, rw = PANELS * W + (PANELS - 1) * GAP;
    int frames = 1 + cap->steps * cap->K;
    size_t fb = (size_t)H * W * 3, clip = fb * (size_t)frames, px = (size_t)H * rw;
    uint8_t *rgb = malloc(px * 3), *r = malloc(px), *g = malloc(px), *b = malloc(px);
    GifByteType *idx = malloc(px);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int err = 0;
    GifFileType *gif = rgb && r && g && b && idx ? EGifOpenFileName(tmp, false, &err) : NULL;
    pan_status st = PAN_OK;
    if (!gif) {
        st = pan_error_set(PAN_ERR_IO, "%s: cannot write GIF: %s", tmp,
                           err ? GifErrorString(err) : "out of memory");
        goto done;
    }
    EGifSetGifVersion(gif, true);
    if (EGifPutScreenDesc(gif, rw, H, 8, 0, NULL) == GIF_ERROR) goto gif_error;
    /* loop forever (NETSCAPE2.0 application extension) */
    static const unsigned char loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR ||
        EGifPutExtensionTrailer(gif) == GIF_ERROR)
        goto gif_error;
    for (int f = 0; f < frames; f++) {
        compose(cap, cap->truth + c * clip + f * fb, cap->pred + c * clip + f * fb, rgb, rw);
        for (size_t i = 0; i < px; i++) r[i] = rgb[3 * i], g[i] = rgb[3 * i + 1], b[i] = rgb[3 * i + 2];
        int colours = 256;
        GifColorType map[256];
        if (GifQuantizeBuffer((unsigned)rw, (unsigned)H, &colours, r, g, b, idx, map) == GIF_ERROR)
            goto gif_error;
        ColorMapObject *cm = GifMakeMapObject(256, map);
        GraphicsControlBlock gcb = {.DisposalMode = DISPOSE_DO_NOT,
                                    .DelayTime = f == 0 ? 60 : GIF_DELAY_CS,
                                    .TransparentColor = NO_TRANSPARENT_COLOR};
        GifByteType ext[4];
        EGifGCBToExtension(&gcb, ext);
        bool ok = cm && EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, ext) != GIF_ERROR &&
                  EGifPutImageDesc(gif, 0, 0, rw, H, false, cm) != GIF_ERROR;
        for (int y = 0; ok && y < H; y++)
            ok = EGifPutLine(gif, idx + (size_t)y * rw, rw) != GIF_ERROR;
        GifFreeMapObject(cm);
        if (!ok) goto gif_error;
    }
    if (EGifCloseFile(gif, &err) == GIF_ERROR) {
        gif = NULL;
        st = pan_error_set(PAN_ERR_IO, "%s: %s", tmp, GifErrorString(err));
        goto done;
    }
    gif = NULL;
    if (chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) /* giflib creates it 0600 */
        st = pan_error_set(PAN_ERR_IO, "%s: chmod/rename failed: %s", path, strerror(errno));
    goto done;
gif_error:
    st = pan_error_set(PAN_ERR_IO, "%s: giflib: %s", tmp, GifErrorString(gif->Error));
done:
    if (gif) EGifCloseFile(gif, &err);
    if (st != PAN_OK) remove(tmp);
    free(rgb);
    free(r);
    free(g);
    free(b);
    free(idx);
    return st;
}

static pan_status add_picture(pan_eval_report_meta *meta, char names[][32], const char *name) {
    if (meta->n_pictures == 16) return PAN_OK;
    snprintf(names[meta->n_pictures], 32, "%s", name);
    meta->pictures[meta->n_pictures] = names[meta->n_pictures];
    meta->n_pictures++;
    return PAN_OK;
}

/* File names live as long as the process (the meta borrows them). */
static char picture_names[16][32];

pan_status pan_eval_pictures_write(const char *dir, const pan_eval_capture *cap,
                                   const pan_eval_result *r, pan_eval_report_meta *meta) {
    (void)r;
    char path[4096], name[32];
    for (int c = 0; c < cap->cases; c++) {
        snprintf(name, sizeof name, "rollout-%d.png", c);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        pan_status st = write_strip(path, cap, c);
        if (st != PAN_OK) return st;
        add_picture(meta, picture_names, name);
        snprintf(name, sizeof name, "rollout-%d.gif", c);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if ((st = write_gif(path, cap, c)) != PAN_OK) return st;
        add_picture(meta, picture_names, name);
    }
    return PAN_OK;
}

pan_status pan_eval_plots_write(const char *dir, const char *source_dir,
                                pan_eval_report_meta *meta) {
    char cmd[8400];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/scripts/eval_plots.py' '%s/report.json' '%s/consistency.png'",
             source_dir, dir, dir);
    int rc = system(cmd);
    if (rc != 0)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED, "plots: '%s' failed (exit %d); is "
                             "python3-matplotlib installed?", cmd, rc);
    add_picture(meta, picture_names, "consistency.png");
    return PAN_OK;
}
