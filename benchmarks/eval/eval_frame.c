/* benchmarks/eval/eval_frame.c: frame similarity (PSNR, SSIM, MSE) and the
 * rooms camera registration (eval_judge.h). */
#include "benchmarks/eval/eval_judge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double pan_eval_mse(const uint8_t *a, const uint8_t *b, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = (int)a[i] - (int)b[i];
        sum += (uint64_t)(d * d);
    }
    return n ? (double)sum / (double)n : 0.0;
}

double pan_eval_psnr(const uint8_t *a, const uint8_t *b, int h, int w) {
    double mse = pan_eval_mse(a, b, (size_t)h * w * 3);
    if (mse <= 0) return 99.0;
    double p = 10.0 * log10(255.0 * 255.0 / mse);
    return p > 99.0 ? 99.0 : p;
}

#define SSIM_RADIUS 5 /* window 11 */

/* Separable Gaussian blur of one channel, valid region only: in (h, w),
 * out (h - 10, w - 10). */
static void blur(const double *in, int h, int w, const double *g, double *tmp, double *out) {
    int ow = w - 2 * SSIM_RADIUS, oh = h - 2 * SSIM_RADIUS;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < ow; x++) {
            double s = 0;
            for (int k = 0; k <= 2 * SSIM_RADIUS; k++) s += g[k] * in[y * w + x + k];
            tmp[y * ow + x] = s;
        }
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double s = 0;
            for (int k = 0; k <= 2 * SSIM_RADIUS; k++) s += g[k] * tmp[(y + k) * ow + x];
            out[y * ow + x] = s;
        }
}

double pan_eval_ssim(const uint8_t *a, const uint8_t *b, int h, int w) {
    if (h <= 2 * SSIM_RADIUS || w <= 2 * SSIM_RADIUS) return NAN;
    double g[2 * SSIM_RADIUS + 1], gs = 0;
    for (int k = -SSIM_RADIUS; k <= SSIM_RADIUS; k++) {
        g[k + SSIM_RADIUS] = exp(-(double)(k * k) / (2 * 1.5 * 1.5));
        gs += g[k + SSIM_RADIUS];
    }
    for (int k = 0; k <= 2 * SSIM_RADIUS; k++) g[k] /= gs;
    size_t n = (size_t)h * w, on = (size_t)(h - 2 * SSIM_RADIUS) * (w - 2 * SSIM_RADIUS);
    /* x, y, xx, yy, xy planes; their blurs; one scratch */
    double *buf = malloc((5 * n + 5 * on + n) * sizeof *buf);
    if (!buf) return NAN;
    double *planes = buf, *blurred = buf + 5 * n, *tmp = blurred + 5 * on;
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    double total = 0;
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < n; i++) {
            double x = a[i * 3 + c], y = b[i * 3 + c];
            planes[i] = x;
            planes[n + i] = y;
            planes[2 * n + i] = x * x;
            planes[3 * n + i] = y * y;
            planes[4 * n + i] = x * y;
        }
        for (int p = 0; p < 5; p++) blur(planes + p * n, h, w, g, tmp, blurred + p * on);
        double sum = 0;
        for (size_t i = 0; i < on; i++) {
            double mx = blurred[i], my = blurred[on + i];
            double vx = blurred[2 * on + i] - mx * mx, vy = blurred[3 * on + i] - my * my;
            double cxy = blurred[4 * on + i] - mx * my;
            sum += ((2 * mx * my + c1) * (2 * cxy + c2)) /
                   ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
        total += sum / (double)on;
    }
    free(buf);
    return total / 3.0;
}

/* ---- rooms registration ------------------------------------------------- */

pan_status pan_eval_register(pan_world *world, const uint8_t *frame,
                             const pan_world_state *around, bool *found, int *cell_x,
                             int *cell_y, double *rms) {
    pan_world_config wc = pan_world_get_config(world);
    size_t bytes = (size_t)wc.height * wc.width * 3;
    uint8_t *view = malloc(bytes);
    if (!view) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval register: out of memory");
    pan_world_state saved, probe = *around;
    pan_status st = pan_world_get_state(world, &saved);
    bool had_state = st == PAN_OK;
    int cx0 = (int)around->camera_x, cy0 = (int)around->camera_y;
    double best = -1;
    int bx = 0, by = 0;
    for (int dy = -PAN_EVAL_REGISTER_RADIUS; dy <= PAN_EVAL_REGISTER_RADIUS; dy++) {
        for (int dx = -PAN_EVAL_REGISTER_RADIUS; dx <= PAN_EVAL_REGISTER_RADIUS; dx++) {
            probe.camera_x = (float)(cx0 + dx) + 0.5f;
            probe.camera_y = (float)(cy0 + dy) + 0.5f;
            if (pan_world_set_state(world, &probe) != PAN_OK) continue; /* a wall */
            if (pan_world_render(world, view) != PAN_OK) continue;
            double mse = pan_eval_mse(view, frame, bytes);
            if (best < 0 || mse < best) best = mse, bx = cx0 + dx, by = cy0 + dy;
        }
    }
    free(view);
    if (had_state) (void)pan_world_set_state(world, &saved);
    *rms = best < 0 ? INFINITY : sqrt(best);
    *found = best >= 0 && *rms <= PAN_EVAL_REGISTER_RMS;
    *cell_x = bx;
    *cell_y = by;
    return PAN_OK;
}
