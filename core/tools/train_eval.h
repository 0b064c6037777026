/* core/tools/train_eval.h: the quick evaluation a training run logs beside
 * its losses (docs/training.md, "Running a training"): how well the model's
 * VAE reconstructs held-out frames.
 *
 * Contract
 * - pan_train_eval_recon(c, m, world, images, out): resets `world` at the
 *   model's frame size with the seeds 2^40 + i, i < images (the base of
 *   pan-eval's held-out cases, never drawn by training, whose reset seeds
 *   are random 64-bit numbers), encodes each first frame with the VAE's
 *   mean, decodes it, and reports the PSNR in dB over all pixels of all
 *   images (8-bit levels, peak 255) and the share of the objects the
 *   world's detector reads on the true frame that it also reads on the
 *   reconstruction: same colour and shape, centre within 2 px. A world
 *   without objects in view counts no objects (objects_found is then 1).
 * - Deterministic for a model, backend and thread count.
 * - Errors: INVALID_ARGUMENT (images outside 1..256, an unknown world, a
 *   frame size no world renders); what the VAE returns; RESOURCE_EXHAUSTED.
 */
#ifndef PAN_CORE_TOOLS_TRAIN_EVAL_H
#define PAN_CORE_TOOLS_TRAIN_EVAL_H

#include "core/compute.h"
#include "core/model/model.h"

typedef struct pan_recon_report {
    int images;
    double psnr_db;
    int64_t objects;        /* read on the true frames */
    double objects_found;   /* share of them read on the reconstructions */
} pan_recon_report;

pan_status pan_train_eval_recon(pan_compute *c, const pan_model *m,
                                const char *world, int images,
                                pan_recon_report *out);

#endif
