/* agents/c/tool_print.c: human-readable printing of pan-client replies:
 * spaces, observations (latent summary, mean pixel), infos, rollouts,
 * HELLO and STATS. */
#include <inttypes.h>
#include <stdio.h>

#include "agents/c/tool.h"

void tool_print_spaces(const pan_client_spaces *s) {
    printf("world %s  %dx%d  K %d  obs_mode %s\n", s->world, s->width, s->height,
           s->frames_per_step, s->obs_mode);
    printf("action: text, length %d..%d\n", s->action_min_length, s->action_max_length);
    if (s->has_frames)
        printf("observation.frames: u1 (%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ")\n",
               s->frames_shape[0], s->frames_shape[1], s->frames_shape[2],
               s->frames_shape[3]);
    printf("observation.latent: f4 (%" PRId64 ", %" PRId64 ")  %s\n", s->latent_shape[0],
           s->latent_shape[1], s->latent);
    printf("tasks: %s\n", s->tasks);
    if (s->has_session)
        printf("num_envs %d  autoreset %s  max_episode_steps %d\n", s->num_envs,
               s->autoreset_mode, s->max_episode_steps);
}

/* min / max / mean and the first values of one env's latent. */
static void print_latent(const float *v, int count) { /* v: (Q * D) */
    if (count <= 0) return;
    float lo = v[0], hi = v[0];
    double sum = 0.0;
    for (int i = 0; i < count; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        sum += v[i];
    }
    printf("    latent: min %.4g max %.4g mean %.4g  [", lo, hi, sum / count);
    for (int i = 0; i < count && i < 8; i++) printf("%s%.4g", i ? ", " : "", v[i]);
    printf("%s]\n", count > 8 ? ", ..." : "");
}

void tool_print_obs(const pan_client_obs *obs) {
    printf("obs: %d envs, latent (%d, %d)", obs->n, obs->q, obs->d);
    if (obs->frames) printf(", frames (%d, %d, %d, 3)", obs->k, obs->h, obs->w);
    printf("\n");
    size_t per_latent = (size_t)obs->q * (size_t)obs->d;
    size_t per_frames = (size_t)obs->k * (size_t)obs->h * (size_t)obs->w * 3;
    for (int i = 0; i < obs->n; i++) {
        printf("  env %d\n", i);
        print_latent(obs->latent + (size_t)i * per_latent, (int)per_latent);
        if (obs->frames) {
            const uint8_t *f = obs->frames + (size_t)i * per_frames;
            double sum = 0.0;
            for (size_t j = 0; j < per_frames; j++) sum += f[j];
            printf("    frames: mean pixel %.2f\n", per_frames ? sum / (double)per_frames : 0.0);
        }
    }
}

void tool_print_info(int env, const pan_client_info *info) {
    if (!info->present) {
        printf("  env %d: (not reset)\n", env);
        return;
    }
    printf("  env %d: step %" PRId64 " seed %" PRIu64 "%s%s\n", env, info->episode_step,
           info->seed, info->is_reset ? " reset" : "", info->autoreset ? " autoreset" : "");
    if (!info->is_reset || info->understood)
        printf("    action: %s%s, %s '%s': %s\n", info->understood ? "understood" : "NOT understood",
               info->heldout ? " (held out)" : "", info->action_kind, info->canonical,
               info->message);
    if (info->task[0])
        printf("    task: %s  success: %s\n", info->task, info->success ? "yes" : "no");
    if (info->has_final) {
        printf("    episode ended: final step %" PRId64 ", final success %s\n",
               info->final_info->episode_step, info->final_info->success ? "yes" : "no");
    }
}

void tool_print_hello(const pan_client_hello_result *h) {
    printf("server %s, protocol %u.%u\n", h->server, h->protocol[0], h->protocol[1]);
    printf("worlds:");
    for (int i = 0; i < h->n_worlds; i++) printf(" %s", h->worlds[i]);
    printf("\nmodels:");
    for (int i = 0; i < h->n_models; i++) printf(" %s", h->models[i]);
    printf("\nops:");
    for (int i = 0; i < h->n_ops; i++) printf(" %s", h->ops[i]);
    const pan_client_limits *l = &h->limits;
    printf("\nlimits: message %" PRId64 " B, header %" PRId64 " B, blobs %" PRId64
           ", text %" PRId64 " B, sessions %" PRId64 ", envs %" PRId64 ", batch %" PRId64
           ", horizon %" PRId64 ", snapshots %" PRId64 ", reply %" PRId64
           " B, session ttl %" PRId64 " ms\n",
           l->max_message_bytes, l->max_header_bytes, l->max_blobs, l->max_text_bytes,
           l->max_sessions, l->max_envs_per_session, l->max_batch, l->max_horizon,
           l->max_snapshots, l->max_reply_bytes, l->session_ttl_ms);
}

void tool_print_stats(const pan_client_stats_result *s) {
    printf("uptime %.1f s, %" PRId64 " sessions, %" PRId64 " requests, %" PRId64
           " errors, latency p50 %.1f us p99 %.1f us\n",
           s->uptime_s, s->sessions, s->requests, s->errors, s->latency_p50_us,
           s->latency_p99_us);
    printf("ops:");
    for (int i = 0; i < s->n_ops; i++) printf(" %s=%" PRId64, s->op_names[i], s->op_counts[i]);
    printf("\n");
    if (s->has_session)
        printf("session: %" PRId64 " envs, %" PRId64 " snapshots, %" PRId64
               " requests, idle %" PRId64 " ms\n",
               s->num_envs, s->snapshots, s->session_requests, s->idle_ms);
}

void tool_print_rollout(const pan_client_rollout_result *r, const uint64_t *ids) {
    printf("rollout: %d rows x %d steps, latent (%d, %d)%s\n", r->b, r->t, r->q, r->d,
           r->frames ? ", with frames" : "");
    size_t per = (size_t)r->q * (size_t)r->d;
    for (int b = 0; b < r->b; b++) {
        printf("  row %d (state %" PRIu64 "):", b, ids[b]);
        for (int s = 0; s < r->t; s++) {
            size_t k = (size_t)b * (size_t)r->t + (size_t)s;
            printf(" %g%s", r->reward[k],
                   r->terminated[k] ? "T" : r->truncated[k] ? "t" : "");
        }
        printf("\n");
        print_latent(r->latent + ((size_t)b * (size_t)r->t + (size_t)r->t - 1) * per, (int)per);
    }
}
