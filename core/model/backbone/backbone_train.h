/* core/model/backbone/backbone_train.h: the backbone f for training -- one
 * teacher-forced pass over whole sequences of rounds, keeping what the
 * backward reads, and the backward (docs/training.md, stage glp).
 *
 * Contract
 * - A sequence is n_rounds rounds (pan_backbone_round; `slot` unused) laid
 *   out exactly as pan_backbone_step lays them out round by round: each
 *   round's tokens USER STATE s.. a.. END ASSISTANT QUERY q.., positions
 *   0.. continuing over the rounds (never renumbered), and attention with
 *   the history rule of docs/model.md (a token of round r sees round 0,
 *   rounds max(1, r-N+2)..r-1 and its own round up to itself;
 *   PAN_ATTENTION_MASK_ROUNDS with N = backbone.max_rounds). Its outputs
 *   are therefore the predictions the KV-cache path makes when the same
 *   rounds are appended one by one (the parity test holds it to that),
 *   inside and past the eviction limit.
 * - pan_backbone_train_create(cfg, max_seqs, max_tokens): one arena (the
 *   lifetime class "activations of one training step") for up to max_seqs
 *   sequences of max_tokens tokens in all (0: max_seqs sequences of
 *   2 * max_rounds rounds of the longest length);
 *   pan_backbone_train_bytes(cfg, max_seqs, max_tokens) is its size, about
 *   ((7d + 2 kv_dim) layers + 3 I layers + 4d) * 4 bytes per token plus
 *   the backward's scratch (docs/training.md, "Memory").
 * - pan_backbone_train_forward(c, m, t, seqs, n): n sequences (1..max_seqs,
 *   tokens in all <= max_tokens, each round valid as for
 *   pan_backbone_step); out f32 (sum of n_rounds, Q, d): ŝ of every round
 *   at its query rows, sequences then rounds in order.
 * - pan_backbone_train_backward(c, m, t, dout, grads, dstate): after a
 *   forward on t, with dout of that forward's shape: ADDS every backbone
 *   parameter's gradient into grads (embed_tokens of the special and byte
 *   tokens used, glp.query_embeddings, every layer, model.norm,
 *   glp.state_head) and, when dstate is not NULL, the state tokens'
 *   gradient into dstate f32 (sum of n_state over all rounds, d), packed in
 *   the order the states were given. dout is read only.
 * - Errors: INVALID_ARGUMENT naming the sequence, round and field (as
 *   pan_backbone_step), for too many tokens or sequences, a model of
 *   another config, a backward without a forward; nothing written then.
 * - Thread safety: one t per thread; the model is read only.
 */
#ifndef PAN_CORE_MODEL_BACKBONE_BACKBONE_TRAIN_H
#define PAN_CORE_MODEL_BACKBONE_BACKBONE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"
#include "core/model/backbone/backbone.h"
#include "core/model/model.h"

typedef struct pan_backbone_sequence {
    const pan_backbone_round *rounds; /* (n_rounds); slot unused */
    int n_rounds;                     /* >= 1 */
} pan_backbone_sequence;

typedef struct pan_backbone_train pan_backbone_train;

size_t pan_backbone_train_bytes(const pan_model_config *cfg, int max_seqs,
                                int64_t max_tokens);
pan_status pan_backbone_train_create(pan_backbone_train **out,
                                     const pan_model_config *cfg, int max_seqs,
                                     int64_t max_tokens);
void pan_backbone_train_destroy(pan_backbone_train *t);

pan_status pan_backbone_train_forward(pan_compute *c, const pan_model *m,
                                      pan_backbone_train *t,
                                      const pan_backbone_sequence *seqs, int n,
                                      float *out);
pan_status pan_backbone_train_backward(pan_compute *c, const pan_model *m,
                                       pan_backbone_train *t,
                                       const float *dout,
                                       pan_model_weights *grads,
                                       float *dstate);

#endif
