/* benchmarks/bench_train_cases.c: the timed C cases of pan-bench-train
 * (contract in bench_train.h): a whole optimizer step of each of the three
 * stages (bench_train_step.c) and forward + backward of the parts alone,
 * each with its inputs written for the PyTorch peers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench_train.h"
#include "core/model/backbone/backbone_train.h"
#include "core/model/decoder/decoder_train.h"
#include "core/model/encoder/vit_train.h"
#include "core/model/vae/vae_train.h"
#include "core/rng.h"
#include "core/tools/train_batch.h"
#include "core/train/grads.h"
#include "core/train/stages.h"

#define VAE_BATCH 16
#define DECODER_BATCH 8
#define GLP_SEQS 2
#define GLP_ROUNDS 4
#define BB_SEQS 4
#define BB_ROUNDS 6
#define VIT_LATENTS 32
#define DATA_SEED 1

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

/* The backbone case's actions: world-like texts of several lengths. */
static const char *const ACTIONS[] = {
    "move the red cube onto the blue mat now.",
    "push the green ball left",
    "open the drawer slowly and look inside, then close it again",
    "turn right",
    "pick up the yellow cylinder and place it next to the red cube",
    "walk to the door",
};

/* One case: fn(ctx, true) is its forward (the whole loss for a stage),
 * fn(ctx, false) its backward; pre(ctx) the untimed reset before a rep. */
typedef pan_status (*case_fn)(void *ctx, bool forward);
typedef void (*pre_fn)(void *ctx);

typedef struct runner {
    const train_bench_options *o;
    pan_compute *c;
    pan_model *m; /* a stage case steps its weights and puts them back */
    pan_grads *g;
    train_io *io;
} runner;

static float *alloc_f(size_t n, bool *ok) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) *ok = false;
    return p;
}

static void fill(float *p, size_t n, uint64_t seed, float scale) {
    pan_rng rng = pan_rng_seed(seed);
    pan_rng_fill_normal(&rng, p, n);
    for (size_t i = 0; i < n; i++) p[i] *= scale;
}

/* Times warmup + reps runs; row's fwd/bwd/total from the timed ones. */
static pan_status time_case(runner *r, train_row *row, case_fn fn, pre_fn pre,
                            void *ctx) {
    int total = r->o->warmup + r->o->reps;
    double *f = calloc((size_t)total * 3, sizeof(double));
    if (!f) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    double *b = f + total, *t = b + total;
    pan_status st = PAN_OK;
    for (int i = 0; st == PAN_OK && i < total; i++) {
        pan_grads_zero(r->g);
        if (pre) pre(ctx);
        double t0 = bench_now_us();
        st = fn(ctx, true);
        double t1 = bench_now_us();
        if (st == PAN_OK && row->split) st = fn(ctx, false);
        double t2 = bench_now_us();
        f[i] = t1 - t0;
        b[i] = t2 - t1;
        t[i] = t2 - t0;
    }
    if (st == PAN_OK) {
        row->fwd = bench_stats_of(f + r->o->warmup, r->o->reps);
        row->bwd = bench_stats_of(b + r->o->warmup, r->o->reps);
        row->total = bench_stats_of(t + r->o->warmup, r->o->reps);
    }
    free(f);
    return st;
}

/* The check run: grads zeroed, one forward (+ backward); its results are
 * what the peers compare with. */
static pan_status check_run(runner *r, const train_row *row, case_fn fn, pre_fn pre,
                            void *ctx) {
    pan_grads_zero(r->g);
    if (pre) pre(ctx);
    TRY(fn(ctx, true));
    return row->split ? fn(ctx, false) : PAN_OK;
}

static void write_grads(runner *r, const char *const *names, int n) {
    for (int i = 0; i < n; i++) {
        const pan_param_entry *e = pan_params_find(&r->m->params, names[i]);
        float *gr = pan_grads_find(r->g, names[i]);
        if (e && gr) train_io_tensor(r->io, names[i], true, gr, e->ndim, e->shape);
    }
}

static void write_actions(train_io *io, const char *key, const pan_train_action *a,
                          int n) {
    const uint8_t **bytes = calloc((size_t)n, sizeof *bytes);
    int *lens = calloc((size_t)n, sizeof *lens);
    bool *dropped = calloc((size_t)n, sizeof *dropped);
    if (bytes && lens && dropped) {
        for (int i = 0; i < n; i++) {
            bytes[i] = a[i].bytes;
            lens[i] = a[i].len;
            dropped[i] = a[i].dropped;
        }
        train_io_actions(io, key, bytes, lens, n);
        char flags[64];
        snprintf(flags, sizeof flags, "%s_dropped", key);
        train_io_flags(io, flags, dropped, n);
    }
    free(bytes);
    free(lens);
    free(dropped);
}

/* ---- the three stages: optimizer steps ---- */

typedef struct stage_ctx {
    runner *r;
    const pan_train_batch *b;
    void *stage;
    double loss;
} stage_ctx;

/* The stage's check run: the gradient block zeroed, the loss and its
 * backward (what the peers compare before the optimizer step). */
static pan_status stage_check(runner *r, train_loss_fn fn, void *ctx) {
    pan_grads_zero(r->g);
    return fn(ctx);
}

static pan_status vae_stage_fn(void *p) {
    stage_ctx *s = p;
    return pan_vae_stage_loss(s->r->c, s->r->m, s->stage, s->b->batch, s->b->images,
                              s->b->eps, s->b->kl_weight, NULL, &s->r->g->w, &s->loss);
}

static pan_status decoder_stage_fn(void *p) {
    stage_ctx *s = p;
    const pan_train_batch *b = s->b;
    return pan_decoder_stage_loss(s->r->c, s->r->m, s->stage, b->kind, b->batch, b->x1,
                                  b->x0, b->k, b->actions, b->state_latents, NULL,
                                  &s->r->g->w, &s->loss);
}

static pan_status glp_stage_fn(void *p) {
    stage_ctx *s = p;
    const pan_train_batch *b = s->b;
    return pan_glp_stage_loss(s->r->c, s->r->m, s->stage, b->batch, b->rounds, b->z0,
                              b->chunks, b->actions, b->prev, b->windows, NULL,
                              &s->r->g->w, &s->loss);
}

static pan_status stage_vae_case(runner *r, train_row *row) {
    const pan_model_config *cfg = &r->m->config;
    pan_train_batch b = {0};
    pan_vae_stage *s = NULL;
    train_step *step = NULL;
    *row = (train_row){.name = "stage_vae", .what = "stage vae + AdamW step, 16 images",
                       .samples = VAE_BATCH, .unit = "images", .step = true,
                       .act_note = "per image"};
    pan_status st = pan_train_batch_draw(r->c, r->m, "tabletop", PAN_STAGE_VAE,
                                         DATA_SEED, VAE_BATCH, 0, PAN_WINDOW_PAIR, &b);
    if (st == PAN_OK) st = pan_vae_stage_create(&s, cfg, VAE_BATCH);
    if (st == PAN_OK) st = train_step_create(&step, r->m, PAN_STAGE_VAE);
    stage_ctx ctx = {r, &b, s, 0};
    if (st == PAN_OK) st = stage_check(r, vae_stage_fn, &ctx);
    if (st == PAN_OK) {
        int64_t C = cfg->frame.channels, H = cfg->frame.height, W = cfg->frame.width;
        int64_t z = cfg->vae.latent_channels, h = pan_latent_height(cfg),
                w = pan_latent_width(cfg);
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "images", false, b.images, 4,
                        PAN_SHAPE(VAE_BATCH, C, H, W));
        train_io_tensor(r->io, "eps", false, b.eps, 4, PAN_SHAPE(VAE_BATCH, z, h, w));
        train_io_number(r->io, "kl_weight", b.kl_weight);
        train_io_number(r->io, "loss", ctx.loss);
        static const char *const names[] = {"vae.encoder.conv_in.weight",
                                            "vae.encoder.mid.block_1.conv1.weight",
                                            "vae.decoder.conv_out.weight"};
        write_grads(r, names, 3);
        st = train_step_check(step, r->g, r->io, PAN_STAGE_VAE, names, 3);
        train_flops e = train_flops_vae_encode(cfg, VAE_BATCH),
                    d = train_flops_vae_decode(cfg, VAE_BATCH);
        row->flops_fwd = train_flops_total(e) + train_flops_total(d);
        row->flops_bwd = train_flops_backward(e) + train_flops_backward(d);
        row->act_bytes = (double)pan_vae_train_bytes(cfg, VAE_BATCH);
    }
    if (st == PAN_OK)
        st = train_step_time(step, r->g, r->o->warmup, r->o->reps, vae_stage_fn, &ctx,
                             row);
    train_step_destroy(step);
    pan_vae_stage_destroy(s);
    pan_train_batch_free(&b);
    return st;
}

static void action_lens(const pan_train_action *a, int n, int *lens) {
    for (int i = 0; i < n; i++) lens[i] = a[i].dropped ? -1 : a[i].len;
}

static pan_status stage_decoder_case(runner *r, train_row *row,
                                     const pan_train_batch *b) {
    const pan_model_config *cfg = &r->m->config;
    pan_decoder_stage *s = NULL;
    train_step *step = NULL;
    *row = (train_row){.name = "stage_decoder",
                       .what = "stage decoder + AdamW step, 8 pair windows",
                       .samples = DECODER_BATCH, .unit = "windows", .step = true,
                       .act_note = "per window"};
    pan_status st = pan_decoder_stage_create(&s, cfg, DECODER_BATCH);
    if (st == PAN_OK) st = train_step_create(&step, r->m, PAN_STAGE_DECODER);
    stage_ctx ctx = {r, b, s, 0};
    if (st == PAN_OK) st = stage_check(r, decoder_stage_fn, &ctx);
    if (st == PAN_OK) {
        int64_t K = cfg->frame.chunk_frames, n = 2 * K + 1;
        int64_t z = cfg->vae.latent_channels, h = pan_latent_height(cfg),
                w = pan_latent_width(cfg);
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "x1", false, b->x1, 5, PAN_SHAPE(DECODER_BATCH, n, z, h, w));
        train_io_tensor(r->io, "x0", false, b->x0, 5, PAN_SHAPE(DECODER_BATCH, n, z, h, w));
        train_io_tensor(r->io, "k", false, b->k, 1, PAN_SHAPE(DECODER_BATCH));
        train_io_tensor(r->io, "state_latents", false, b->state_latents, 5,
                        PAN_SHAPE(DECODER_BATCH, 2, z, h, w));
        write_actions(r->io, "actions", b->actions, DECODER_BATCH * 2);
        train_io_number(r->io, "loss", ctx.loss);
        static const char *const names[] = {
            "decoder.blocks.0.attn.q.weight", "decoder.final.linear.weight",
            "encoder.blocks.0.attn.qkv.weight", "model.embed_tokens.weight"};
        write_grads(r, names, 4);
        st = train_step_check(step, r->g, r->io, PAN_STAGE_DECODER, names, 4);
        int lens[2 * DECODER_BATCH];
        action_lens(b->actions, 2 * DECODER_BATCH, lens);
        train_flops d = train_flops_decoder(cfg, DECODER_BATCH, true, lens),
                    v = train_flops_vit(cfg, 2 * DECODER_BATCH);
        row->flops_fwd = train_flops_total(d) + train_flops_total(v);
        row->flops_bwd = train_flops_backward(d) + train_flops_backward(v);
        row->act_bytes = (double)pan_decoder_train_bytes(cfg, DECODER_BATCH) +
                         (double)pan_vit_train_bytes(cfg, 2 * DECODER_BATCH);
    }
    if (st == PAN_OK)
        st = train_step_time(step, r->g, r->o->warmup, r->o->reps, decoder_stage_fn,
                             &ctx, row);
    train_step_destroy(step);
    pan_decoder_stage_destroy(s);
    return st;
}

/* Round lengths in tokens: USER STATE s.. a.. END ASSISTANT QUERY q.. */
static int round_tokens(const pan_model_config *cfg, int n_state, int action_len) {
    return 2 + n_state + action_len + 3 + cfg->backbone.queries;
}

static pan_status stage_glp_case(runner *r, train_row *row) {
    const pan_model_config *cfg = &r->m->config;
    pan_train_batch b = {0};
    pan_glp_stage *s = NULL;
    train_step *step = NULL;
    *row = (train_row){.name = "stage_glp",
                       .what = "stage glp + AdamW step, 2 sequences x 4 rounds",
                       .samples = GLP_SEQS, .unit = "sequences", .step = true,
                       .act_note = "per sequence"};
    pan_status st = pan_train_batch_draw(r->c, r->m, "tabletop", PAN_STAGE_GLP,
                                         DATA_SEED, GLP_SEQS, GLP_ROUNDS,
                                         PAN_WINDOW_PAIR, &b);
    if (st == PAN_OK) st = pan_glp_stage_create(&s, cfg, GLP_SEQS, GLP_ROUNDS);
    if (st == PAN_OK) st = train_step_create(&step, r->m, PAN_STAGE_GLP);
    stage_ctx ctx = {r, &b, s, 0};
    if (st == PAN_OK) st = stage_check(r, glp_stage_fn, &ctx);
    if (st == PAN_OK) {
        int64_t B = GLP_SEQS, R = GLP_ROUNDS, K = cfg->frame.chunk_frames;
        int64_t z = cfg->vae.latent_channels, h = pan_latent_height(cfg),
                w = pan_latent_width(cfg), Q = cfg->backbone.queries,
                d = cfg->backbone.dim;
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "z0", false, b.z0, 4, PAN_SHAPE(B, z, h, w));
        train_io_tensor(r->io, "chunks", false, b.chunks, 6, PAN_SHAPE(B, R, K, z, h, w));
        train_io_tensor(r->io, "prev", false, b.prev, 4, PAN_SHAPE(B, R - 1, Q, d));
        write_actions(r->io, "actions", b.actions, (int)(B * R));
        for (int q = 0; q < R; q++) {
            char key[32];
            int64_t n = q == 0 ? K + 1 : 2 * K + 1, C = q == 0 ? 1 : 2;
            snprintf(key, sizeof key, "x0_%d", q);
            train_io_tensor(r->io, key, false, b.windows[q].x0, 5, PAN_SHAPE(B, n, z, h, w));
            snprintf(key, sizeof key, "k_%d", q);
            train_io_tensor(r->io, key, false, b.windows[q].k, 1, PAN_SHAPE(B));
            snprintf(key, sizeof key, "dropped_%d", q);
            train_io_flags(r->io, key, b.windows[q].dropped, (int)(B * C));
        }
        train_io_number(r->io, "loss", ctx.loss);
        static const char *const names[] = {
            "model.layers.0.self_attn.q_proj.weight", "glp.query_embeddings.weight",
            "decoder.blocks.0.mlp.fc2.weight", "encoder.merger.mlp.2.weight"};
        write_grads(r, names, 4);
        st = train_step_check(step, r->g, r->io, PAN_STAGE_GLP, names, 4);
        /* FLOPs: h over z0 and the R-1 last frames, the backbone, the windows */
        int starts[GLP_SEQS + 1], toks[GLP_SEQS * GLP_ROUNDS];
        int S = pan_state_tokens(cfg);
        for (int i = 0; i < B; i++) {
            starts[i] = i * (int)R;
            for (int q = 0; q < R; q++)
                toks[i * R + q] = round_tokens(cfg, q == 0 ? S : (int)Q + S,
                                               b.actions[i * R + q].len);
        }
        starts[B] = (int)(B * R);
        train_flops v = train_flops_vit(cfg, (int)(B * R)),
                    f = train_flops_backbone(cfg, (int)B, starts, toks);
        row->flops_fwd = train_flops_total(v) + train_flops_total(f);
        row->flops_bwd = train_flops_backward(v) + train_flops_backward(f);
        for (int q = 0; q < R; q++) {
            int C = q == 0 ? 1 : 2, lens[2 * GLP_SEQS];
            for (int i = 0; i < B; i++)
                for (int j = 0; j < C; j++) {
                    int a = q == 0 ? 0 : q - 1 + j; /* A: a_{r-1}, B: a_r */
                    lens[i * C + j] = b.windows[q].dropped[i * C + j]
                                          ? -1 : b.actions[i * R + a].len;
                }
            train_flops dw = train_flops_decoder(cfg, (int)B, q > 0, lens);
            row->flops_fwd += train_flops_total(dw);
            row->flops_bwd += train_flops_backward(dw);
        }
        int64_t tokens = B * R * pan_backbone_max_round_tokens(cfg);
        row->act_bytes = (double)pan_vit_train_bytes(cfg, (int)(B * R)) +
                         (double)pan_backbone_train_bytes(cfg, (int)B, tokens) +
                         (double)pan_decoder_train_bytes(cfg, (int)B);
    }
    if (st == PAN_OK)
        st = train_step_time(step, r->g, r->o->warmup, r->o->reps, glp_stage_fn, &ctx,
                             row);
    train_step_destroy(step);
    pan_glp_stage_destroy(s);
    pan_train_batch_free(&b);
    return st;
}

/* ---- the parts alone ---- */

typedef struct decoder_ctx {
    runner *r;
    pan_decoder_train *t;
    int B, n;
    pan_decoder_frame frames[64];
    float *sigmas, *latents, *states, *out, *dout, *dstates;
    pan_decoder_condition conds[2 * DECODER_BATCH];
} decoder_ctx;

static void decoder_pre(void *p) {
    decoder_ctx *d = p;
    const pan_model_config *cfg = &d->r->m->config;
    memset(d->dstates, 0, sizeof(float) * (size_t)d->B * 2 * cfg->backbone.queries *
                              cfg->backbone.dim);
}

static pan_status decoder_fn(void *p, bool forward) {
    decoder_ctx *d = p;
    if (forward)
        return pan_decoder_train_forward(d->r->c, d->r->m, d->t, d->B, d->n, d->frames,
                                         d->sigmas, d->latents, d->conds, 2, d->out);
    return pan_decoder_train_backward(d->r->c, d->r->m, d->t, d->dout, &d->r->g->w,
                                      d->dstates, NULL);
}

static pan_status decoder_case(runner *r, train_row *row, const pan_train_batch *b) {
    const pan_model_config *cfg = &r->m->config;
    *row = (train_row){.name = "decoder", .what = "decoder, 8 pair windows",
                       .samples = DECODER_BATCH, .unit = "windows", .split = true,
                       .act_note = "per window"};
    int K = cfg->frame.chunk_frames, B = DECODER_BATCH, n = 2 * K + 1;
    size_t F = (size_t)cfg->vae.latent_channels * (size_t)pan_latent_height(cfg) *
               (size_t)pan_latent_width(cfg);
    size_t qd = (size_t)cfg->backbone.queries * (size_t)cfg->backbone.dim;
    decoder_ctx d = {.r = r, .B = B, .n = n};
    bool ok = true;
    d.sigmas = alloc_f((size_t)B * n, &ok);
    d.latents = alloc_f((size_t)B * n * F, &ok);
    d.out = alloc_f((size_t)B * n * F, &ok);
    d.dout = alloc_f((size_t)B * n * F, &ok);
    d.states = alloc_f((size_t)B * 2 * qd, &ok);
    d.dstates = alloc_f((size_t)B * 2 * qd, &ok);
    pan_status st = ok ? pan_decoder_train_create(&d.t, cfg, B)
                       : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    if (st == PAN_OK) {
        fill(d.latents, (size_t)B * n * F, 101, 1.0f);
        fill(d.states, (size_t)B * 2 * qd, 102, 1.0f);
        fill(d.dout, (size_t)B * n * F, 103, 1.0f);
        for (int f = 0; f < n; f++)
            d.frames[f] = (pan_decoder_frame){
                .sigma = cfg->decoder.cond_noise, .slot = f,
                .block = f == 0 ? 0 : f <= K ? 1 : 2, .cond = f == 0 ? -1 : f <= K ? 0 : 1};
        for (int i = 0; i < B; i++) {
            for (int f = 0; f < n; f++)
                d.sigmas[i * n + f] = f == 0 ? cfg->decoder.cond_noise
                                    : f <= K ? b->k[i] : b->k[i] + 0.5f;
            for (int c = 0; c < 2; c++) {
                const pan_train_action *a = &b->actions[i * 2 + c];
                d.conds[i * 2 + c] = (pan_decoder_condition){
                    .null = a->dropped, .state = d.states + (size_t)(i * 2 + c) * qd,
                    .action = a->bytes, .action_len = a->len};
            }
        }
        st = check_run(r, row, decoder_fn, decoder_pre, &d);
    }
    if (st == PAN_OK) {
        int64_t z = cfg->vae.latent_channels, h = pan_latent_height(cfg),
                w = pan_latent_width(cfg), Q = cfg->backbone.queries,
                dd = cfg->backbone.dim;
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "latents", false, d.latents, 5, PAN_SHAPE(B, n, z, h, w));
        train_io_tensor(r->io, "sigmas", false, d.sigmas, 2, PAN_SHAPE(B, n));
        train_io_tensor(r->io, "states", false, d.states, 4, PAN_SHAPE(B, 2, Q, dd));
        train_io_tensor(r->io, "dout", false, d.dout, 5, PAN_SHAPE(B, n, z, h, w));
        write_actions(r->io, "actions", b->actions, 2 * B);
        train_io_tensor(r->io, "out", true, d.out, 5, PAN_SHAPE(B, n, z, h, w));
        train_io_tensor(r->io, "dstates", true, d.dstates, 4, PAN_SHAPE(B, 2, Q, dd));
        static const char *const names[] = {
            "decoder.blocks.0.attn.q.weight", "decoder.blocks.5.cross.state_k.weight",
            "decoder.final.linear.weight", "decoder.patch_embed.weight"};
        write_grads(r, names, 4);
        int lens[2 * DECODER_BATCH];
        action_lens(b->actions, 2 * B, lens);
        train_flops f = train_flops_decoder(cfg, B, true, lens);
        row->flops_fwd = train_flops_total(f);
        row->flops_bwd = train_flops_backward(f);
        row->act_bytes = (double)pan_decoder_train_bytes(cfg, B);
        st = time_case(r, row, decoder_fn, decoder_pre, &d);
    }
    pan_decoder_train_destroy(d.t);
    free(d.sigmas);
    free(d.latents);
    free(d.out);
    free(d.dout);
    free(d.states);
    free(d.dstates);
    return st;
}

typedef struct backbone_ctx {
    runner *r;
    pan_backbone_train *t;
    pan_backbone_sequence seqs[BB_SEQS];
    pan_backbone_round rounds[BB_SEQS * BB_ROUNDS];
    float *states, *out, *dout, *dstate;
    int64_t n_state;
} backbone_ctx;

static void backbone_pre(void *p) {
    backbone_ctx *b = p;
    memset(b->dstate, 0, sizeof(float) * (size_t)b->n_state *
                             (size_t)b->r->m->config.backbone.dim);
}

static pan_status backbone_fn(void *p, bool forward) {
    backbone_ctx *b = p;
    if (forward)
        return pan_backbone_train_forward(b->r->c, b->r->m, b->t, b->seqs, BB_SEQS,
                                          b->out);
    return pan_backbone_train_backward(b->r->c, b->r->m, b->t, b->dout, &b->r->g->w,
                                       b->dstate);
}

static pan_status backbone_case(runner *r, train_row *row) {
    const pan_model_config *cfg = &r->m->config;
    *row = (train_row){.name = "backbone",
                       .what = "backbone, 4 sequences x 6 rounds",
                       .samples = BB_SEQS, .unit = "sequences", .split = true,
                       .act_note = "per sequence"};
    int S = pan_state_tokens(cfg), Q = cfg->backbone.queries, d = cfg->backbone.dim;
    backbone_ctx b = {.r = r};
    int starts[BB_SEQS + 1], toks[BB_SEQS * BB_ROUNDS], n_actions = 6;
    int64_t tokens = 0;
    for (int s = 0; s < BB_SEQS; s++) {
        starts[s] = s * BB_ROUNDS;
        for (int q = 0; q < BB_ROUNDS; q++) {
            int i = s * BB_ROUNDS + q, ns = q == 0 ? S : Q + S;
            const char *a = ACTIONS[(s + q) % n_actions];
            b.rounds[i] = (pan_backbone_round){.n_state = ns, .action = a,
                                               .action_len = strlen(a)};
            toks[i] = round_tokens(cfg, ns, (int)strlen(a));
            tokens += toks[i];
            b.n_state += ns;
        }
        b.seqs[s] = (pan_backbone_sequence){.rounds = b.rounds + s * BB_ROUNDS,
                                            .n_rounds = BB_ROUNDS};
    }
    starts[BB_SEQS] = BB_SEQS * BB_ROUNDS;
    size_t outn = (size_t)BB_SEQS * BB_ROUNDS * Q * d;
    bool ok = true;
    b.states = alloc_f((size_t)b.n_state * d, &ok);
    b.dstate = alloc_f((size_t)b.n_state * d, &ok);
    b.out = alloc_f(outn, &ok);
    b.dout = alloc_f(outn, &ok);
    pan_status st = ok ? pan_backbone_train_create(&b.t, cfg, BB_SEQS, tokens)
                       : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    if (st == PAN_OK) {
        fill(b.states, (size_t)b.n_state * d, 201, 1.0f);
        fill(b.dout, outn, 202, 1.0f);
        float *p = b.states;
        for (int i = 0; i < BB_SEQS * BB_ROUNDS; i++) {
            b.rounds[i].state = p;
            p += (size_t)b.rounds[i].n_state * d;
        }
        st = check_run(r, row, backbone_fn, backbone_pre, &b);
    }
    if (st == PAN_OK) {
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "states", false, b.states, 2, PAN_SHAPE(b.n_state, d));
        train_io_tensor(r->io, "dout", false, b.dout, 3,
                        PAN_SHAPE(BB_SEQS * BB_ROUNDS, Q, d));
        const uint8_t *bytes[BB_SEQS * BB_ROUNDS];
        int lens[BB_SEQS * BB_ROUNDS], ns[BB_SEQS * BB_ROUNDS];
        for (int i = 0; i < BB_SEQS * BB_ROUNDS; i++) {
            bytes[i] = b.rounds[i].action;
            lens[i] = (int)b.rounds[i].action_len;
            ns[i] = b.rounds[i].n_state;
        }
        train_io_actions(r->io, "actions", bytes, lens, BB_SEQS * BB_ROUNDS);
        train_io_number(r->io, "rounds", BB_ROUNDS);
        float nsf[BB_SEQS * BB_ROUNDS];
        for (int i = 0; i < BB_SEQS * BB_ROUNDS; i++) nsf[i] = (float)ns[i];
        train_io_tensor(r->io, "n_state", false, nsf, 1, PAN_SHAPE(BB_SEQS * BB_ROUNDS));
        train_io_tensor(r->io, "out", true, b.out, 3, PAN_SHAPE(BB_SEQS * BB_ROUNDS, Q, d));
        train_io_tensor(r->io, "dstates", true, b.dstate, 2, PAN_SHAPE(b.n_state, d));
        static const char *const names[] = {
            "model.layers.0.self_attn.q_proj.weight", "model.layers.5.mlp.down_proj.weight",
            "glp.state_head.weight", "model.embed_tokens.weight"};
        write_grads(r, names, 4);
        train_flops f = train_flops_backbone(cfg, BB_SEQS, starts, toks);
        row->flops_fwd = train_flops_total(f);
        row->flops_bwd = train_flops_backward(f);
        row->act_bytes = (double)pan_backbone_train_bytes(cfg, BB_SEQS, tokens);
        st = time_case(r, row, backbone_fn, backbone_pre, &b);
    }
    pan_backbone_train_destroy(b.t);
    free(b.states);
    free(b.dstate);
    free(b.out);
    free(b.dout);
    return st;
}

typedef struct vit_ctx {
    runner *r;
    pan_vit_train *t;
    pan_tensor latent, tokens, dtokens;
} vit_ctx;

static pan_status vit_fn(void *p, bool forward) {
    vit_ctx *v = p;
    if (forward)
        return pan_vit_train_forward(v->r->c, v->r->m, v->t, &v->latent, &v->tokens);
    return pan_vit_train_backward(v->r->c, v->r->m, v->t, &v->dtokens, &v->r->g->w, NULL);
}

static pan_status vit_case(runner *r, train_row *row) {
    const pan_model_config *cfg = &r->m->config;
    *row = (train_row){.name = "vit", .what = "ViT h, 32 latents",
                       .samples = VIT_LATENTS, .unit = "latents", .split = true,
                       .act_note = "per latent"};
    int64_t N = VIT_LATENTS, z = cfg->vae.latent_channels, h = pan_latent_height(cfg),
            w = pan_latent_width(cfg), S = pan_state_tokens(cfg), d = cfg->backbone.dim;
    bool ok = true;
    float *lat = alloc_f((size_t)(N * z * h * w), &ok);
    float *tok = alloc_f((size_t)(N * S * d), &ok);
    float *dtok = alloc_f((size_t)(N * S * d), &ok);
    vit_ctx v = {.r = r};
    pan_status st = ok ? pan_vit_train_create(&v.t, cfg, VIT_LATENTS)
                       : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    if (st == PAN_OK) {
        fill(lat, (size_t)(N * z * h * w), 301, 1.0f);
        fill(dtok, (size_t)(N * S * d), 302, 1.0f);
        pan_tensor_init(&v.latent, lat, PAN_DTYPE_F32, 4, PAN_SHAPE(N, z, h, w));
        pan_tensor_init(&v.tokens, tok, PAN_DTYPE_F32, 3, PAN_SHAPE(N, S, d));
        pan_tensor_init(&v.dtokens, dtok, PAN_DTYPE_F32, 3, PAN_SHAPE(N, S, d));
        st = check_run(r, row, vit_fn, NULL, &v);
    }
    if (st == PAN_OK) {
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "latent", false, lat, 4, PAN_SHAPE(N, z, h, w));
        train_io_tensor(r->io, "dout", false, dtok, 3, PAN_SHAPE(N, S, d));
        train_io_tensor(r->io, "out", true, tok, 3, PAN_SHAPE(N, S, d));
        static const char *const names[] = {"encoder.patch_embed.weight",
                                            "encoder.blocks.0.attn.qkv.weight",
                                            "encoder.merger.mlp.2.weight"};
        write_grads(r, names, 3);
        train_flops f = train_flops_vit(cfg, VIT_LATENTS);
        row->flops_fwd = train_flops_total(f);
        row->flops_bwd = train_flops_backward(f);
        row->act_bytes = (double)pan_vit_train_bytes(cfg, VIT_LATENTS);
        st = time_case(r, row, vit_fn, NULL, &v);
    }
    pan_vit_train_destroy(v.t);
    free(lat);
    free(tok);
    free(dtok);
    return st;
}

typedef struct vae_ctx {
    runner *r;
    pan_vae_train *t;
    pan_tensor images, moments, latent, recon, dmoments, drecon, dlatent;
} vae_ctx;

static void vae_pre(void *p) {
    vae_ctx *v = p;
    memset(v->dlatent.data, 0, sizeof(float) * (size_t)pan_tensor_numel(&v->dlatent));
}

static pan_status vae_fn(void *p, bool forward) {
    vae_ctx *v = p;
    pan_compute *c = v->r->c;
    const pan_model *m = v->r->m;
    if (forward) {
        TRY(pan_vae_train_encode(c, m, v->t, &v->images, &v->moments));
        return pan_vae_train_decode(c, m, v->t, &v->latent, &v->recon);
    }
    TRY(pan_vae_train_decode_backward(c, m, v->t, &v->drecon, &v->r->g->w, &v->dlatent));
    return pan_vae_train_encode_backward(c, m, v->t, &v->dmoments, &v->r->g->w);
}

static pan_status vae_case(runner *r, train_row *row) {
    const pan_model_config *cfg = &r->m->config;
    *row = (train_row){.name = "vae", .what = "VAE encoder+decoder, 16 images",
                       .samples = VAE_BATCH, .unit = "images", .split = true,
                       .act_note = "per image"};
    int64_t N = VAE_BATCH, C = cfg->frame.channels, H = cfg->frame.height,
            W = cfg->frame.width, z = cfg->vae.latent_channels,
            h = pan_latent_height(cfg), w = pan_latent_width(cfg);
    size_t ni = (size_t)(N * C * H * W), nm = (size_t)(N * 2 * z * h * w),
           nl = (size_t)(N * z * h * w);
    bool ok = true;
    float *buf[7];
    size_t sizes[7] = {ni, nm, nl, ni, nm, ni, nl};
    for (int i = 0; i < 7; i++) buf[i] = alloc_f(sizes[i], &ok);
    vae_ctx v = {.r = r};
    pan_status st = ok ? pan_vae_train_create(&v.t, cfg, VAE_BATCH)
                       : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    if (st == PAN_OK) {
        fill(buf[0], ni, 401, 0.5f); /* images around 0, as frames in [-1, 1] */
        fill(buf[2], nl, 402, 1.0f);
        fill(buf[4], nm, 403, 1.0f);
        fill(buf[5], ni, 404, 1.0f);
        pan_tensor_init(&v.images, buf[0], PAN_DTYPE_F32, 4, PAN_SHAPE(N, C, H, W));
        pan_tensor_init(&v.moments, buf[1], PAN_DTYPE_F32, 4, PAN_SHAPE(N, 2 * z, h, w));
        pan_tensor_init(&v.latent, buf[2], PAN_DTYPE_F32, 4, PAN_SHAPE(N, z, h, w));
        pan_tensor_init(&v.recon, buf[3], PAN_DTYPE_F32, 4, PAN_SHAPE(N, C, H, W));
        pan_tensor_init(&v.dmoments, buf[4], PAN_DTYPE_F32, 4, PAN_SHAPE(N, 2 * z, h, w));
        pan_tensor_init(&v.drecon, buf[5], PAN_DTYPE_F32, 4, PAN_SHAPE(N, C, H, W));
        pan_tensor_init(&v.dlatent, buf[6], PAN_DTYPE_F32, 4, PAN_SHAPE(N, z, h, w));
        st = check_run(r, row, vae_fn, vae_pre, &v);
    }
    if (st == PAN_OK) {
        train_io_case(r->io, row->name);
        train_io_tensor(r->io, "images", false, buf[0], 4, PAN_SHAPE(N, C, H, W));
        train_io_tensor(r->io, "latent", false, buf[2], 4, PAN_SHAPE(N, z, h, w));
        train_io_tensor(r->io, "dmoments", false, buf[4], 4, PAN_SHAPE(N, 2 * z, h, w));
        train_io_tensor(r->io, "drecon", false, buf[5], 4, PAN_SHAPE(N, C, H, W));
        train_io_tensor(r->io, "moments", true, buf[1], 4, PAN_SHAPE(N, 2 * z, h, w));
        train_io_tensor(r->io, "recon", true, buf[3], 4, PAN_SHAPE(N, C, H, W));
        train_io_tensor(r->io, "dlatent", true, buf[6], 4, PAN_SHAPE(N, z, h, w));
        static const char *const names[] = {"vae.encoder.conv_in.weight",
                                            "vae.encoder.conv_out.weight",
                                            "vae.decoder.conv_in.weight",
                                            "vae.decoder.conv_out.weight"};
        write_grads(r, names, 4);
        train_flops e = train_flops_vae_encode(cfg, VAE_BATCH),
                    d = train_flops_vae_decode(cfg, VAE_BATCH);
        row->flops_fwd = train_flops_total(e) + train_flops_total(d);
        row->flops_bwd = train_flops_backward(e) + train_flops_backward(d);
        row->act_bytes = (double)pan_vae_train_bytes(cfg, VAE_BATCH);
        st = time_case(r, row, vae_fn, vae_pre, &v);
    }
    pan_vae_train_destroy(v.t);
    for (int i = 0; i < 7; i++) free(buf[i]);
    return st;
}

pan_status train_sgemm_peak(const train_bench_options *o, pan_compute *c,
                            double *gflops) {
    int N = 1024, total = o->warmup + o->reps + 2;
    float *a = malloc(sizeof(float) * (size_t)N * N * 3);
    double *us = calloc((size_t)total, sizeof(double));
    if (!a || !us) {
        free(a);
        free(us);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    }
    fill(a, (size_t)N * N * 2, 3, 1.0f);
    pan_tensor x, w, y;
    pan_tensor_init(&x, a, PAN_DTYPE_F32, 2, PAN_SHAPE(N, N));
    pan_tensor_init(&w, a + (size_t)N * N, PAN_DTYPE_F32, 2, PAN_SHAPE(N, N));
    pan_tensor_init(&y, a + 2 * (size_t)N * N, PAN_DTYPE_F32, 2, PAN_SHAPE(N, N));
    pan_status st = PAN_OK;
    for (int r = 0; st == PAN_OK && r < total; r++) {
        double t0 = bench_now_us();
        st = pan_compute_matmul(c, &y, &x, &w, NULL, false, true, 1.0f, 0.0f);
        us[r] = bench_now_us() - t0;
    }
    if (st == PAN_OK)
        *gflops = 2.0 * N * N * N / (bench_stats_of(us + 2, total - 2).median * 1e3);
    free(a);
    free(us);
    return st;
}

/* Whether `name` is in the comma-separated list (NULL: every case). */
static bool case_selected(const char *list, const char *name) {
    if (!list) return true;
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && !strncmp(p, name, n)) return true;
        p += n + (p[n] == ',');
    }
    return false;
}

pan_status train_bench_run(const train_bench_options *o, pan_compute *c,
                           pan_model *m, train_io *io, train_row *rows, int *n) {
    pan_grads *g = NULL;
    pan_train_batch dec = {0};
    runner r = {o, c, m, NULL, io};
    *n = 0;
    pan_status st = pan_grads_create(&g, m);
    r.g = g;
    if (st == PAN_OK)
        st = pan_train_batch_draw(c, m, "tabletop", PAN_STAGE_DECODER, DATA_SEED,
                                  DECODER_BATCH, 0, PAN_WINDOW_PAIR, &dec);
    typedef enum { VAE_S, DEC_S, GLP_S, DEC, BB, VIT, VAE } which;
    static const char *const names[] = {"stage_vae", "stage_decoder", "stage_glp",
                                        "decoder", "backbone", "vit", "vae"};
    for (int k = VAE_S; st == PAN_OK && k <= VAE; k++) {
        train_row *row = &rows[*n];
        if (!case_selected(o->cases, names[k])) continue;
        switch ((which)k) {
        case VAE_S: st = stage_vae_case(&r, row); break;
        case DEC_S: st = stage_decoder_case(&r, row, &dec); break;
        case GLP_S: st = stage_glp_case(&r, row); break;
        case DEC: st = decoder_case(&r, row, &dec); break;
        case BB: st = backbone_case(&r, row); break;
        case VIT: st = vit_case(&r, row); break;
        case VAE: st = vae_case(&r, row); break;
        }
        if (st != PAN_OK) break;
        printf("  %-47s C %9.2f ms [%.2f, %.2f]", row->what, row->total.median / 1e3,
               row->total.p10 / 1e3, row->total.p90 / 1e3);
        if (row->step)
            printf("  (loss + backward %.2f, zero + clip + AdamW + EMA %.2f)",
                   row->lossgrad.median / 1e3, row->optim.median / 1e3);
        if (row->split)
            printf("  (forward %.2f, backward %.2f)", row->fwd.median / 1e3,
                   row->bwd.median / 1e3);
        printf("\n");
        fflush(stdout);
        (*n)++;
    }
    pan_train_batch_free(&dec);
    pan_grads_destroy(g);
    return st;
}
