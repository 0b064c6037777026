/* core/model/weights.h: named views of every parameter of the GLP model.
 *
 * Contract
 * - Each struct holds pan_tensor views (f32, contiguous) into the model's
 *   one weight block (core/model/params.h binds them). Names and shapes
 *   are in docs/model.md, "Parameters"; the comment beside each field
 *   gives its checkpoint name relative to the struct's prefix.
 * - Optional tensors (a ResBlock's nin_shortcut) have data == NULL when
 *   absent.
 * - The structs never own memory; weights are immutable after loading and
 *   shared by every env.
 */
#ifndef PAN_CORE_MODEL_WEIGHTS_H
#define PAN_CORE_MODEL_WEIGHTS_H

#include "core/model/config.h"
#include "core/tensor.h"

#define PAN_VAE_MAX_RES_BLOCKS 4
#define PAN_MODEL_MAX_LAYERS 256

typedef struct pan_resblock_weights {
    pan_tensor norm1_w, norm1_b;   /* norm1.weight/.bias (cin) */
    pan_tensor conv1_w, conv1_b;   /* conv1 (cout, cin, 3, 3), (cout) */
    pan_tensor norm2_w, norm2_b;   /* norm2 (cout) */
    pan_tensor conv2_w, conv2_b;   /* conv2 (cout, cout, 3, 3), (cout) */
    pan_tensor shortcut_w, shortcut_b; /* nin_shortcut (cout, cin, 1, 1) or absent */
} pan_resblock_weights;

typedef struct pan_vae_level_weights {
    pan_resblock_weights blocks[PAN_VAE_MAX_RES_BLOCKS]; /* block.{j} */
    pan_tensor resample_w, resample_b; /* downsample.conv / upsample.conv, or absent */
} pan_vae_level_weights;

typedef struct pan_vae_weights {
    /* encoder ("vae.encoder.") */
    pan_tensor enc_conv_in_w, enc_conv_in_b;
    pan_vae_level_weights down[PAN_VAE_MAX_LEVELS]; /* down.{i} */
    pan_resblock_weights enc_mid;                   /* mid.block_1 */
    pan_tensor enc_norm_out_w, enc_norm_out_b;
    pan_tensor enc_conv_out_w, enc_conv_out_b;      /* (2z, ch[L-1], 3, 3) */
    /* decoder ("vae.decoder.") */
    pan_tensor dec_conv_in_w, dec_conv_in_b;
    pan_resblock_weights dec_mid;                   /* mid.block_1 */
    pan_vae_level_weights up[PAN_VAE_MAX_LEVELS];   /* up.{i} */
    pan_tensor dec_norm_out_w, dec_norm_out_b;
    pan_tensor dec_conv_out_w, dec_conv_out_b;
} pan_vae_weights;

typedef struct pan_vit_block_weights { /* "encoder.blocks.{i}." */
    pan_tensor norm1_w;                /* (E) */
    pan_tensor qkv_w, qkv_b;           /* attn.qkv (3E, E), (3E): q, k, v rows */
    pan_tensor proj_w, proj_b;         /* attn.proj (E, E), (E) */
    pan_tensor norm2_w;                /* (E) */
    pan_tensor gate_w, gate_b;         /* mlp.gate_proj (M, E), (M) */
    pan_tensor up_w, up_b;             /* mlp.up_proj (M, E), (M) */
    pan_tensor down_w, down_b;         /* mlp.down_proj (E, M), (E) */
} pan_vit_block_weights;

typedef struct pan_vit_weights { /* "encoder." */
    pan_tensor patch_embed_w, patch_embed_b; /* (E, P), (E) */
    pan_vit_block_weights *blocks;           /* (layers) */
    pan_tensor merger_norm_w;                /* merger.ln_q (E) */
    pan_tensor merger_fc1_w, merger_fc1_b;   /* merger.mlp.0 (m2E, m2E) */
    pan_tensor merger_fc2_w, merger_fc2_b;   /* merger.mlp.2 (d, m2E) */
} pan_vit_weights;

typedef struct pan_qwen2_layer_weights { /* "model.layers.{i}." */
    pan_tensor input_norm_w;             /* input_layernorm (d) */
    pan_tensor q_w, k_w, v_w;            /* self_attn.{q,k,v}_proj.weight */
    pan_tensor q_b, k_b, v_b;            /* self_attn.{q,k,v}_proj.bias */
    pan_tensor o_w;                      /* self_attn.o_proj.weight (d, H*hd) */
    pan_tensor post_norm_w;              /* post_attention_layernorm (d) */
    pan_tensor gate_w, up_w, down_w;     /* mlp.{gate,up,down}_proj.weight */
} pan_qwen2_layer_weights;

typedef struct pan_backbone_weights {
    pan_tensor embed_tokens;          /* model.embed_tokens.weight (V, d) */
    pan_qwen2_layer_weights *layers;  /* (layers) */
    pan_tensor final_norm_w;          /* model.norm.weight (d) */
    pan_tensor query_embeddings;      /* glp.query_embeddings.weight (Q, d) */
    pan_tensor state_head_w, state_head_b; /* glp.state_head (d, d), (d) */
} pan_backbone_weights;

typedef struct pan_dit_block_weights { /* "decoder.blocks.{i}." */
    pan_tensor ada_w, ada_b;             /* adaLN_modulation (6D, D), (6D) */
    pan_tensor q_w, q_b, k_w, k_b, v_w, v_b; /* attn.{q,k,v} (D, D), (D) */
    pan_tensor proj_w, proj_b;           /* attn.proj (D, D), (D) */
    pan_tensor cross_norm_w, cross_norm_b; /* cross_norm (D) */
    pan_tensor cq_w, cq_b;               /* cross.q (D, D), (D) */
    pan_tensor ak_w, ak_b, av_w, av_b;   /* cross.action_{k,v} (D, d), (D) */
    pan_tensor aout_w, aout_b;           /* cross.action_out (D, D), (D) */
    pan_tensor sk_w, sk_b, sv_w, sv_b;   /* cross.state_{k,v} (D, d), (D) */
    pan_tensor sout_w, sout_b;           /* cross.state_out (D, D), (D) */
    pan_tensor fc1_w, fc1_b;             /* mlp.fc1 (M, D), (M) */
    pan_tensor fc2_w, fc2_b;             /* mlp.fc2 (D, M), (D) */
} pan_dit_block_weights;

typedef struct pan_dit_weights { /* "decoder." */
    pan_tensor patch_embed_w, patch_embed_b; /* (D, P), (D) */
    pan_tensor pos_embed;                /* (Tf, D) */
    pan_tensor frame_embed;              /* (2K+1, D) */
    pan_tensor time_fc1_w, time_fc1_b;   /* time_mlp.0 (D, F), (D) */
    pan_tensor time_fc2_w, time_fc2_b;   /* time_mlp.2 (D, D), (D) */
    pan_tensor action_pos;               /* (max_action_bytes + 1, d) */
    pan_tensor null_state;               /* (Q, d) */
    pan_tensor null_action;              /* (1, d) */
    pan_dit_block_weights *blocks;       /* (layers) */
    pan_tensor final_ada_w, final_ada_b; /* final.adaLN_modulation (2D, D) */
    pan_tensor final_w, final_b;         /* final.linear (P, D), (P) */
} pan_dit_weights;

typedef struct pan_model_weights {
    pan_vae_weights vae;
    pan_vit_weights encoder;
    pan_backbone_weights backbone;
    pan_dit_weights decoder;
} pan_model_weights;

#endif
