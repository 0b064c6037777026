/* tests/model/test_checkpoint_roundtrip.c: model save -> load is bit-exact
 * (weights, config, metadata), a BF16 tensor loads as its f32 widening,
 * pan_params_init_random is deterministic and follows the init rules, and
 * the parameter table / weight views agree with docs/model.md. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model/model.h"
#include "core/safetensors.h"
#include "tests/model/ckpt_mutate.h"
#include "tests/test_util.h"

static int same_floats(const float *a, const float *b, int64_t n) {
    return memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

static void check_round_trip(const pan_model *model, const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt.safetensors", dir);
    CHECK_STATUS(pan_model_save(model, path, "round trip: ünïcödé note"), PAN_OK);
    pan_model *m = NULL;
    CHECK_STATUS(pan_model_load(&m, path), PAN_OK);
    if (!m) return;
    CHECK(memcmp(&m->config, &model->config, sizeof m->config) == 0);
    CHECK(m->params.count == model->params.count);
    CHECK(m->params.total_floats == model->params.total_floats);
    CHECK(same_floats(m->block, model->block, model->params.total_floats));
    CHECK(!m->trained);
    CHECK(strcmp(m->note, "round trip: ünïcödé note") == 0);
    CHECK(((uintptr_t)m->block & 63) == 0);
    /* Views point into the model's own block, with their names. */
    CHECK(m->w.backbone.final_norm_w.data ==
          m->block + pan_params_find(&m->params, "model.norm.weight")->offset);
    CHECK(strcmp(m->w.backbone.layers[0].o_w.name,
                 "model.layers.0.self_attn.o_proj.weight") == 0);

    /* trained = true and no note survive too. */
    m->trained = true;
    CHECK_STATUS(pan_model_save(m, path, NULL), PAN_OK);
    pan_model *m2 = NULL;
    CHECK_STATUS(pan_model_load(&m2, path), PAN_OK);
    if (m2) {
        CHECK(m2->trained);
        CHECK(m2->note[0] == '\0');
        CHECK(same_floats(m2->block, model->block, model->params.total_floats));
        pan_model_destroy(m2);
    }
    pan_model_destroy(m);
    unlink(path);
}

static void check_bf16(const pan_model *model, const char *dir) {
    const char *name = "encoder.blocks.0.mlp.up_proj.weight";
    char path[512];
    snprintf(path, sizeof path, "%s/bf16.safetensors", dir);
    CHECK(ckpt_write_custom(path, model, &(ckpt_custom){.bf16 = name}) == 0);
    pan_safetensors *st = NULL;
    CHECK_STATUS(pan_safetensors_open(&st, path), PAN_OK);
    if (st) {
        const pan_st_tensor *t = pan_safetensors_find(st, name);
        CHECK(t && t->dtype == PAN_DTYPE_BF16 && t->end - t->begin == 2 * 32 * 16);
        pan_safetensors_close(st);
    }
    pan_model *m = NULL;
    CHECK_STATUS(pan_model_load(&m, path), PAN_OK);
    if (!m) return;
    const pan_param_entry *e = pan_params_find(&m->params, name);
    int exact = 1, changed = 0;
    for (int64_t k = 0; k < e->numel; k++) {
        float want = model->block[e->offset + k];
        uint32_t bits = (uint32_t)ckpt_f32_to_bf16(want) << 16;
        float rounded;
        memcpy(&rounded, &bits, 4);
        if (memcmp(&rounded, &m->block[e->offset + k], 4) != 0) exact = 0;
        if (rounded != want) changed = 1;
    }
    CHECK(exact);   /* the loaded value is the bf16 value, widened exactly */
    CHECK(changed); /* and bf16 really did round something */
    /* Every other tensor is untouched. */
    for (int i = 0; i < m->params.count; i++) {
        const pan_param_entry *p = &m->params.entries[i];
        if (p != e)
            CHECK(same_floats(m->block + p->offset, model->block + p->offset,
                              p->numel));
    }
    pan_model_destroy(m);
    unlink(path);
}

static void check_init(const pan_model_config *cfg) {
    pan_param_table t;
    CHECK_STATUS(pan_params_build(cfg, &t), PAN_OK);
    size_t bytes = (size_t)t.total_floats * sizeof(float);
    float *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes);
    pan_params_init_random(&t, a, 42);
    pan_params_init_random(&t, b, 42);
    CHECK(memcmp(a, b, bytes) == 0);
    pan_params_init_random(&t, b, 43);
    CHECK(memcmp(a, b, bytes) != 0);
    pan_params_init_random(&t, b, 42);

    /* Rules: norms 1, biases 0, weights N(0, 1/fan_in), embeddings 0.02. */
    for (int i = 0; i < t.count; i++) {
        const pan_param_entry *e = &t.entries[i];
        CHECK(e->offset % 16 == 0);
        const float *x = a + e->offset;
        double sum = 0, sq = 0;
        for (int64_t k = 0; k < e->numel; k++) {
            sum += x[k];
            sq += (double)x[k] * x[k];
        }
        double mean = sum / (double)e->numel;
        double std = sqrt(sq / (double)e->numel - mean * mean);
        if (e->init == PAN_PARAM_INIT_ONES) CHECK(sum == (double)e->numel);
        if (e->init == PAN_PARAM_INIT_ZEROS) CHECK(sq == 0.0);
        if (e->numel >= 4096 && e->init != PAN_PARAM_INIT_ZEROS &&
            e->init != PAN_PARAM_INIT_ONES) {
            double want = 0.02;
            if (e->init == PAN_PARAM_INIT_FAN_IN) {
                int64_t fan_in = e->numel / e->shape[0];
                want = 1.0 / sqrt((double)fan_in);
            }
            if (fabs(std / want - 1.0) > 0.05 || fabs(mean) > 0.05 * want) {
                fprintf(stderr, "%s: std %g (want %g), mean %g\n", e->name, std,
                        want, mean);
                CHECK(0);
            }
        }
    }
    /* Names that identify each init rule. */
    CHECK(pan_params_find(&t, "model.embed_tokens.weight")->init ==
          PAN_PARAM_INIT_EMBEDDING);
    CHECK(pan_params_find(&t, "glp.query_embeddings.weight")->init ==
          PAN_PARAM_INIT_EMBEDDING);
    CHECK(pan_params_find(&t, "vae.decoder.norm_out.bias")->init ==
          PAN_PARAM_INIT_ZEROS);
    CHECK(pan_params_find(&t, "encoder.merger.ln_q.weight")->init ==
          PAN_PARAM_INIT_ONES);
    CHECK(pan_params_find(&t, "no.such.tensor") == NULL);
    free(a);
    free(b);
    pan_params_free(&t);
}

/* Parameter counts and a few shapes of the default config, by hand from
 * docs/model.md. */
static void check_default_table(void) {
    pan_model_config cfg;
    pan_model_config_default(&cfg);
    pan_param_table t;
    CHECK_STATUS(pan_params_build(&cfg, &t), PAN_OK);
    /* VAE encoder: conv_in 2, levels 8+2 / 10+2 / 8, mid 8, norm_out 2,
     * conv_out 2 = 44; decoder: conv_in 2, mid 8, levels 8+2 / 8+2 / 10,
     * norm_out 2, conv_out 2 = 44. Encoder: patch_embed 2, 4 blocks of 12,
     * ln_q 1, mlp 4 = 55. Backbone: embed 1, 6 layers of 12, norm 1,
     * queries 1, state_head 2 = 77. Decoder: patch_embed 2, pos 1, frame 1,
     * time_mlp 4, action_pos 1, null 2, 6 blocks of 30, final 4 = 195. */
    CHECK(t.count == 44 + 44 + 55 + 77 + 195);
    CHECK(t.total_params == 12062779);
    const pan_param_entry *e = pan_params_find(&t, "vae.decoder.up.1.block.0.nin_shortcut.weight");
    CHECK(e == NULL); /* ch[2] == ch[1]: no shortcut */
    e = pan_params_find(&t, "vae.decoder.up.0.block.0.nin_shortcut.weight");
    CHECK(e && e->ndim == 4 && e->shape[0] == 32 && e->shape[1] == 64 &&
          e->shape[2] == 1);
    e = pan_params_find(&t, "encoder.merger.mlp.0.weight");
    CHECK(e && e->shape[0] == 512 && e->shape[1] == 512);
    e = pan_params_find(&t, "model.layers.5.self_attn.k_proj.weight");
    CHECK(e && e->shape[0] == 64 && e->shape[1] == 256);
    CHECK(strcmp(t.entries[0].name, "vae.encoder.conv_in.weight") == 0);
    CHECK(strcmp(t.entries[t.count - 1].name, "decoder.final.linear.bias") == 0);

    /* Binding gives every view data and its table name. */
    float *block = aligned_alloc(64, (size_t)t.total_floats * 4);
    pan_model_weights w;
    CHECK_STATUS(pan_params_bind(&t, block, &w), PAN_OK);
    CHECK(w.vae.down[2].resample_w.data == NULL);
    CHECK(w.vae.up[0].resample_w.data == NULL);
    CHECK(w.vae.up[1].resample_w.data != NULL);
    CHECK(w.vae.down[1].blocks[0].shortcut_w.data != NULL);
    CHECK(w.vae.down[0].blocks[0].shortcut_w.data == NULL);
    CHECK(w.encoder.blocks != NULL && w.backbone.layers != NULL &&
          w.decoder.blocks != NULL);
    CHECK(w.backbone.layers[5].down_w.shape[0] == 256 &&
          w.backbone.layers[5].down_w.shape[1] == 688);
    CHECK(w.encoder.blocks[3].qkv_b.shape[0] == 384);
    CHECK(strcmp(w.vae.dec_conv_out_b.name, "vae.decoder.conv_out.bias") == 0);
    /* A second block (gradients, say) bound by the same table leaves the
     * first binding's views where they were, layer arrays included. */
    float *grads = aligned_alloc(64, (size_t)t.total_floats * 4);
    pan_model_weights g;
    CHECK_STATUS(pan_params_bind(&t, grads, &g), PAN_OK);
    const pan_param_entry *q5 = pan_params_find(&t, "model.layers.5.self_attn.q_proj.weight");
    CHECK(q5 && w.backbone.layers[5].q_w.data == block + q5->offset);
    CHECK(g.backbone.layers[5].q_w.data == grads + q5->offset);
    CHECK(w.backbone.layers != g.backbone.layers);
    const pan_param_entry *b0 = pan_params_find(&t, "decoder.blocks.0.attn.q.weight");
    CHECK(b0 && w.decoder.blocks[0].q_w.data == block + b0->offset);
    CHECK(g.decoder.blocks[0].q_w.data == grads + b0->offset);
    const pan_param_entry *e3 = pan_params_find(&t, "encoder.blocks.3.norm1.weight");
    CHECK(e3 && w.encoder.blocks[3].norm1_w.data == block + e3->offset);
    CHECK(w.vae.dec_conv_out_b.data != g.vae.dec_conv_out_b.data);
    pan_params_unbind(&g);
    CHECK(g.backbone.layers == NULL);
    CHECK(w.backbone.layers[5].q_w.data == block + q5->offset);
    pan_model_weights before = w;
    CHECK_STATUS(pan_params_bind(&t, block + 1, &w), PAN_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&before, &w, sizeof w) == 0); /* a failed bind changes nothing */
    pan_params_unbind(&w);
    free(grads);
    free(block);
    pan_params_free(&t);

    cfg.backbone.heads = 0;
    CHECK_STATUS(pan_params_build(&cfg, &t), PAN_ERR_INVALID_ARGUMENT);
}

int main(void) {
    char dir[] = "/tmp/pan_ckpt_rt_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    pan_model_config cfg;
    ckpt_tiny_config(&cfg);
    pan_model *model = NULL;
    CHECK_STATUS(pan_model_create_random(&model, &cfg, 11), PAN_OK);
    if (model) {
        CHECK(!model->trained && model->note[0] == '\0');
        check_round_trip(model, dir);
        check_bf16(model, dir);
        pan_model *again = NULL;
        CHECK_STATUS(pan_model_create_random(&again, &cfg, 11), PAN_OK);
        if (again)
            CHECK(same_floats(again->block, model->block,
                              model->params.total_floats));
        pan_model_destroy(again);
    }
    pan_model_destroy(model);
    check_init(&cfg);
    check_default_table();

    pan_model *bad = NULL;
    cfg.tokenizer.vocab_size = 100;
    CHECK_STATUS(pan_model_create_random(&bad, &cfg, 1), PAN_ERR_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    CHECK(strstr(pan_error_message(), "tokenizer.vocab_size") != NULL);
    rmdir(dir);
    return test_exit_code("test_checkpoint_roundtrip");
}
