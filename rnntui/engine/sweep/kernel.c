/* Fused training of many one-unit recurrent models (rnntui sweeps).
 *
 * Each member is a 1-input, 1-unit RNN/LSTM/GRU with a Dense(O) head and a
 * softmax cross-entropy loss on the last step: about ten scalars. One call
 * trains a range of members for a range of optimizer steps, each member on
 * its own data, batch order, length and hyperparameters: forward, backward
 * through time, gradient norm, divergence check, clipping and the optimizer
 * update, with the same equations as rnntui's PyTorch path (cells.py,
 * optim.py). The recurrence is a chain of dependent steps, so one member
 * alone leaves the core idle waiting on latency: up to GROUP members of the
 * same shape (cell, length, ...) step together, their independent chains
 * interleaved, each member on its own data and weights. Members are
 * independent, so Python runs disjoint member ranges on several threads.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define LANES 16
#define GROUP 4
#define WIDTH (GROUP * LANES)
#define MAX_OUT 8
#define MAX_PARAMS (4 * 4 + 2 * MAX_OUT)

enum { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3 };
enum { ADAM = 0, SGD = 1, RMSPROP = 2 };
enum { CLIP_NONE = 0, CLIP_GLOBAL = 1, CLIP_TENSOR = 2, CLIP_VALUE = 3 };

/* Mirrored by ctypes in sweep_kernel.py: keep the field order in step. */
typedef struct {
    int32_t cell, hard_gate, has_bhh, reverse, optimizer, clip, length, outputs;
    int32_t n_train, n_val;
    float lr, momentum, clip_threshold;
    const float *train_x;      /* [n_train, length] */
    const int64_t *train_y;    /* [n_train] */
    const int64_t *order;      /* [steps, batch], -1 pads short batches */
    const float *val_x;        /* [n_val, length] */
    float *params;             /* [n_params] */
    float *state_a, *state_b;  /* optimizer state, [n_params] each */
    float *losses;             /* [steps] training loss per step */
    int64_t diverged_step;     /* 0, or the 1-based step whose loss/gradient was not finite */
} Member;

static int gates_of(int cell) { return cell == LSTM ? 4 : cell == GRU ? 3 : 1; }

static int n_params(const Member *m) {
    int g = gates_of(m->cell);
    return 3 * g + (m->has_bhh ? g : 0) + 2 * m->outputs;
}

/* LANES floats as one value: GCC/Clang vector extensions, so the lane math is SIMD by construction. */
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(LANES * sizeof(int32_t))));

static inline vf vload(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vselect(vi mask, vf a, vf b) { return (vf)((mask & (vi)a) | (~mask & (vi)b)); }
static inline vf vclamp(vf x, float low, float high) {
    x = vselect(x < low, x - x + low, x);
    return vselect(x > high, x - x + high, x);
}

/* Cephes expf: about 1 ulp; the floor is a truncation of a value shifted positive. */
static inline vf v_exp(vf x) {
    x = vclamp(x, -87.0f, 87.0f);
    vi n = __builtin_convertvector(x * 1.44269504088896341f + 128.5f, vi) - 128;
    vf fx = __builtin_convertvector(n, vf);
    vf r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
    vf y = r * 1.9875691500e-4f + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    return y * (vf)((n + 127) << 23);
}

/* Cephes tanhf: a polynomial near 0 (no cancellation), exp-based beyond. */
static inline vf v_tanh(vf x) {
    vi negative = x < 0.0f;
    vf z = vselect(negative, -x, x);
    vf big = 1.0f - 2.0f / (v_exp(z + z) + 1.0f);
    big = vselect(negative, -big, big);
    vf s = x * x;
    vf small = ((((s * -5.70498872745e-3f + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s
                 + 1.33314422036e-1f) * s - 3.33332819422e-1f) * s * x + x;
    return vselect(z > 0.625f, big, small);
}

static inline vf v_gate(vf x, int hard) {
    if (hard) return vclamp(x * 0.2f + 0.5f, 0.0f, 1.0f);
    return 1.0f / (1.0f + v_exp(-x));
}

/* d gate / d pre-activation, from the gate's value. */
static inline vf v_gate_grad(vf y, int hard) {
    if (hard) return vselect((y > 0.0f) & (y < 1.0f), y - y + 0.2f, y - y);
    return y * (1.0f - y);
}

/* The weights of a group by role, per member slot. */
typedef struct {
    float wx[GROUP][4], wh[GROUP][4], bi[GROUP][4], bh[GROUP][4], wo[GROUP][MAX_OUT], bo[GROUP][MAX_OUT];
} View;

static void view_of(Member *const *group, View *v) {
    const Member *m = group[0];
    const int g = gates_of(m->cell), o = m->outputs, head = (m->has_bhh ? 4 : 3) * g;
    memset(v, 0, sizeof *v);
    for (int k = 0; k < GROUP; k++) {
        const float *p = group[k]->params;
        for (int j = 0; j < g; j++) {
            v->wx[k][j] = p[j];
            v->wh[k][j] = p[g + j];
            v->bi[k][j] = p[2 * g + j];
            v->bh[k][j] = m->has_bhh ? p[3 * g + j] : 0.0f;
        }
        for (int j = 0; j < o; j++) {
            v->wo[k][j] = p[head + j];
            v->bo[k][j] = p[head + o + j];
        }
    }
}

/* Saved values per time step and slot, for the backward pass. */
static int saved_per_step(int cell) { return cell == LSTM ? 7 : cell == GRU ? 5 : 2; }

#define PRE(j) ((x * wx[j] + bi[j]) + (h[k] * wh[j] + bh[j]))
#define SAVE(j, value) vstore(s + (j) * WIDTH + k * LANES, value)
#define LOAD(j) vload(s + (j) * WIDTH + k * LANES)

/* Forward through one block; xs is [length][GROUP][LANES]; sv gets what backward needs. */
static void forward_block(const Member *m, const View *w, const float *xs, float *sv, float *h_out) {
    const int T = m->length, cell = m->cell, hard = m->hard_gate, S = saved_per_step(cell);
    vf h[GROUP] = {{0}}, c[GROUP] = {{0}};
    for (int t = 0; t < T; t++) {
        float *s = sv + (size_t)t * S * WIDTH;
        for (int k = 0; k < GROUP; k++) {
            const vf x = vload(xs + (size_t)t * WIDTH + k * LANES);
            const float *wx = w->wx[k], *wh = w->wh[k], *bi = w->bi[k], *bh = w->bh[k];
            if (cell == LSTM) {
                vf i = v_gate(PRE(0), hard), f = v_gate(PRE(1), hard), g = v_tanh(PRE(2));
                vf o = v_gate(PRE(3), hard);
                SAVE(5, c[k]);
                SAVE(6, h[k]);
                c[k] = f * c[k] + i * g;
                vf tc = v_tanh(c[k]);
                h[k] = o * tc;
                SAVE(0, i);
                SAVE(1, f);
                SAVE(2, g);
                SAVE(3, o);
                SAVE(4, tc);
            } else if (cell == GRU) {
                vf hn = h[k] * wh[2] + bh[2];
                vf r = v_gate(PRE(0), hard), z = v_gate(PRE(1), hard);
                vf n = v_tanh((x * wx[2] + bi[2]) + r * hn);
                SAVE(4, h[k]);
                h[k] = (1.0f - z) * n + z * h[k];
                SAVE(0, r);
                SAVE(1, z);
                SAVE(2, n);
                SAVE(3, hn);
            } else {
                SAVE(1, h[k]);
                vf a = PRE(0);
                h[k] = cell == RNN_TANH ? v_tanh(a) : vselect(a > 0.0f, a, a - a);
                SAVE(0, h[k]);
            }
        }
    }
    for (int k = 0; k < GROUP; k++) vstore(h_out + k * LANES, h[k]);
}

/* Backward through one block from dL/dh_T; adds slot k's parameter gradients to g[k]. */
static void backward_block(const Member *m, const View *w, const float *xs, const float *sv,
                           const float *dh_last, float (*g)[MAX_PARAMS]) {
    const int T = m->length, cell = m->cell, hard = m->hard_gate, S = saved_per_step(cell);
    const int G = gates_of(cell);
    vf gx[GROUP][4] = {{{0}}}, gh[GROUP][4] = {{{0}}}, gbi[GROUP][4] = {{{0}}}, gbh[GROUP][4] = {{{0}}};
    vf dc[GROUP] = {{0}}, dh[GROUP];
    for (int k = 0; k < GROUP; k++) dh[k] = vload(dh_last + k * LANES);
    for (int t = T - 1; t >= 0; t--) {
        const float *s = sv + (size_t)t * S * WIDTH;
        for (int k = 0; k < GROUP; k++) {
            const vf x = vload(xs + (size_t)t * WIDTH + k * LANES);
            const float *wh = w->wh[k];
            if (cell == LSTM) {
                vf i = LOAD(0), f = LOAD(1), gg = LOAD(2), o = LOAD(3), tc = LOAD(4), cp = LOAD(5), hp = LOAD(6);
                vf d_o = dh[k] * tc;
                dc[k] = dc[k] + dh[k] * o * (1.0f - tc * tc);
                vf a[4] = {dc[k] * gg * v_gate_grad(i, hard), dc[k] * cp * v_gate_grad(f, hard),
                           dc[k] * i * (1.0f - gg * gg), d_o * v_gate_grad(o, hard)};
                dc[k] = dc[k] * f;
                dh[k] = a[0] * wh[0] + a[1] * wh[1] + a[2] * wh[2] + a[3] * wh[3];
                for (int j = 0; j < 4; j++) {
                    gx[k][j] += a[j] * x;
                    gh[k][j] += a[j] * hp;
                    gbi[k][j] += a[j];
                }
            } else if (cell == GRU) {
                vf r = LOAD(0), z = LOAD(1), n = LOAD(2), hn = LOAD(3), hp = LOAD(4);
                vf an = dh[k] * (1.0f - z) * (1.0f - n * n);
                vf az = dh[k] * (hp - n) * v_gate_grad(z, hard);
                vf ar = an * hn * v_gate_grad(r, hard);
                vf dhn = an * r;
                gx[k][0] += ar * x; gbi[k][0] += ar; gh[k][0] += ar * hp; gbh[k][0] += ar;
                gx[k][1] += az * x; gbi[k][1] += az; gh[k][1] += az * hp; gbh[k][1] += az;
                gx[k][2] += an * x; gbi[k][2] += an; gh[k][2] += dhn * hp; gbh[k][2] += dhn;
                dh[k] = dh[k] * z + ar * wh[0] + az * wh[1] + dhn * wh[2];
            } else {
                vf h = LOAD(0), hp = LOAD(1);
                vf slope = cell == RNN_TANH ? 1.0f - h * h : vselect(h > 0.0f, h - h + 1.0f, h - h);
                vf a = dh[k] * slope;
                gx[k][0] += a * x; gh[k][0] += a * hp; gbi[k][0] += a;
                dh[k] = a * wh[0];
            }
        }
    }
    const int bh_at = m->has_bhh ? 3 * G : -1;
    for (int k = 0; k < GROUP; k++)
        for (int j = 0; j < G; j++) {
            float sx = 0, sh = 0, sb = 0, sbh = 0;
            for (int l = 0; l < LANES; l++) {
                sx += gx[k][j][l];
                sh += gh[k][j][l];
                sb += gbi[k][j][l];
                sbh += cell == GRU ? gbh[k][j][l] : gbi[k][j][l];
            }
            g[k][j] += sx;
            g[k][G + j] += sh;
            g[k][2 * G + j] += sb;
            if (bh_at >= 0) g[k][bh_at + j] += sbh;
        }
}

#if defined(__AVX2__)
/* rows[j] holds 8 consecutive time steps of lane j; afterwards rows[t] holds time step t of lanes 0..7. */
static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

/* Gather one lane block of slot k's samples into xs (time-major): a transpose of 16 rows, 8x8 tiles
 * where AVX2 is there. Lanes past count read zeros; go_backwards reverses time. */
static void gather_block(const Member *m, int k, const float *data, const int64_t *rows, int count, float *xs,
                         const float *zeros) {
    const int T = m->length;
    const float *row[LANES];
    for (int l = 0; l < LANES; l++) row[l] = l < count ? data + (size_t)rows[l] * T : zeros;
    int t = 0;
#if defined(__AVX2__)
    for (; t + 8 <= T; t += 8)
        for (int half = 0; half < LANES; half += 8) {
            __m256 tile[8];
            for (int j = 0; j < 8; j++) tile[j] = _mm256_loadu_ps(row[half + j] + t);
            transpose8(tile);
            for (int j = 0; j < 8; j++)
                _mm256_storeu_ps(xs + (size_t)(m->reverse ? T - 1 - t - j : t + j) * WIDTH + k * LANES + half,
                                 tile[j]);
        }
#endif
    for (; t < T; t++) {
        float *out = xs + (size_t)(m->reverse ? T - 1 - t : t) * WIDTH + k * LANES;
        for (int l = 0; l < LANES; l++) out[l] = row[l][t];
    }
}

/* Loss and gradients of one minibatch for a group; losses[k] gets member k's mean loss. */
static void group_gradient(Member *const *group, const int64_t *const *idx, int nb, float (*g)[MAX_PARAMS],
                           float *losses, float *work, const float *zeros) {
    const Member *m = group[0];
    const int O = m->outputs, G = gates_of(m->cell), head = (m->has_bhh ? 4 : 3) * G;
    View w;
    view_of(group, &w);
    float *xs = work, *sv = work + (size_t)m->length * WIDTH;
    memset(g, 0, sizeof(float) * MAX_PARAMS * GROUP);
    for (int k = 0; k < GROUP; k++) losses[k] = 0.0f;
    for (int start = 0; start < nb; start += LANES) {
        const int count = nb - start < LANES ? nb - start : LANES;
        float h[WIDTH], dh[WIDTH];
        for (int k = 0; k < GROUP; k++) gather_block(m, k, group[k]->train_x, idx[k] + start, count, xs, zeros);
        forward_block(m, &w, xs, sv, h);
        for (int j = 0; j < WIDTH; j++) dh[j] = 0.0f;
        for (int k = 0; k < GROUP; k++) {
            float *gwo = g[k] + head, *gbo = gwo + O;
            for (int l = 0; l < count; l++) {
                const int at = k * LANES + l, y = (int)group[k]->train_y[idx[k][start + l]];
                float z[MAX_OUT] = {0}, top, sum = 0.0f;
                for (int o = 0; o < O; o++) z[o] = h[at] * w.wo[k][o] + w.bo[k][o];
                top = z[0];
                for (int o = 1; o < O; o++) top = z[o] > top ? z[o] : top;
                for (int o = 0; o < O; o++) sum += expf(z[o] - top);
                losses[k] += top + logf(sum) - z[y];
                for (int o = 0; o < O; o++) {
                    float dz = (expf(z[o] - top) / sum - (o == y ? 1.0f : 0.0f)) / (float)nb;
                    gwo[o] += dz * h[at];
                    gbo[o] += dz;
                    dh[at] += dz * w.wo[k][o];
                }
            }
        }
        backward_block(m, &w, xs, sv, dh, g);
    }
    for (int k = 0; k < GROUP; k++) losses[k] /= (float)nb;
}

/* Tensor boundaries in the flat parameter vector, as PyTorch holds them. */
static int tensor_sizes(const Member *m, int *sizes) {
    int G = gates_of(m->cell), n = 0;
    sizes[n++] = G;
    sizes[n++] = G;
    sizes[n++] = G;
    if (m->has_bhh) sizes[n++] = G;
    sizes[n++] = m->outputs;
    sizes[n++] = m->outputs;
    return n;
}

static void clip(const Member *m, float *g, int K, float norm) {
    const float limit = m->clip_threshold;
    if (m->clip == CLIP_GLOBAL) {
        float scale = limit / (norm + 1e-6f);
        scale = scale < 1.0f ? scale : 1.0f;
        for (int k = 0; k < K; k++) g[k] *= scale;
    } else if (m->clip == CLIP_TENSOR) {
        int sizes[6], n = tensor_sizes(m, sizes), at = 0;
        for (int j = 0; j < n; at += sizes[j++]) {
            float sq = 0.0f;
            for (int k = at; k < at + sizes[j]; k++) sq += g[k] * g[k];
            float tn = sqrtf(sq), scale = limit / (tn > limit ? tn : limit);
            for (int k = at; k < at + sizes[j]; k++) g[k] *= scale;
        }
    } else if (m->clip == CLIP_VALUE) {
        for (int k = 0; k < K; k++) g[k] = g[k] > limit ? limit : (g[k] < -limit ? -limit : g[k]);
    }
}

static void update(Member *m, const float *g, int K, int64_t t) {
    float *p = m->params, *a = m->state_a, *b = m->state_b;
    if (m->optimizer == ADAM) {
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        float step_size = m->lr / (float)(1.0 - pow(0.9, (double)t));
        float correction = (float)sqrt(1.0 - pow(0.999, (double)t));
        for (int k = 0; k < K; k++) {
            a[k] += (1.0f - b1) * (g[k] - a[k]);
            b[k] = b[k] * b2 + (1.0f - b2) * g[k] * g[k];
            p[k] -= step_size * a[k] / (sqrtf(b[k]) / correction + eps);
        }
    } else if (m->optimizer == SGD) {
        for (int k = 0; k < K; k++) {
            a[k] = t == 1 ? g[k] : a[k] * m->momentum + g[k];
            p[k] -= m->lr * a[k];
        }
    } else {
        const float alpha = 0.99f, eps = 1e-8f;
        for (int k = 0; k < K; k++) {
            a[k] = a[k] * alpha + (1.0f - alpha) * g[k] * g[k];
            b[k] = b[k] * m->momentum + g[k] / (sqrtf(a[k]) + eps);
            p[k] -= m->lr * b[k];
        }
    }
}

static unsigned flush_denormals(void) {
#if defined(__SSE__)
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040);
    return saved;
#else
    return 0;
#endif
}

static void restore_denormals(unsigned saved) {
#if defined(__SSE__)
    _mm_setcsr(saved);
#else
    (void)saved;
#endif
}

/* Members that can share a wide vector: same shape, same data sizes. */
static int same_shape(const Member *a, const Member *b) {
    return a->cell == b->cell && a->hard_gate == b->hard_gate && a->has_bhh == b->has_bhh &&
           a->reverse == b->reverse && a->length == b->length && a->outputs == b->outputs &&
           a->n_train == b->n_train && a->n_val == b->n_val;
}

/* The next group starting at members[i]: up to GROUP same-shape neighbours, empty slots repeat the first. */
static int next_group(Member *members, int count, int i, Member **group) {
    int n = 1;
    group[0] = &members[i];
    while (n < GROUP && i + n < count && same_shape(&members[i], &members[i + n])) {
        group[n] = &members[i + n];
        n++;
    }
    for (int k = n; k < GROUP; k++) group[k] = group[0];
    return n;
}

/* Scratch for the longest member: inputs and saved values, then a row of zeros for empty lanes. */
static float *workspace(const Member *members, int count, float **zeros) {
    int longest = 1;
    for (int i = 0; i < count; i++) longest = members[i].length > longest ? members[i].length : longest;
    float *work = calloc((size_t)longest * (WIDTH * 8 + 1), sizeof(float));
    *zeros = work ? work + (size_t)longest * WIDTH * 8 : NULL;
    return work;
}

/* Train members [0, count) over optimizer steps [step_begin, step_end), 0-based. Returns 0, or -1 on OOM. */
int sweep_train(Member *members, int count, int64_t step_begin, int64_t step_end, int batch) {
    float *zeros, *work = workspace(members, count, &zeros);
    if (!work) return -1;
    unsigned csr = flush_denormals();
    float g[GROUP][MAX_PARAMS], losses[GROUP];
    Member *group[GROUP];
    const int64_t *idx[GROUP];
    for (int i = 0; i < count;) {
        const int n = next_group(members, count, i, group), K = n_params(group[0]);
        for (int64_t step = step_begin; step < step_end; step++) {
            int live = 0, nb = 0;
            for (int k = 0; k < n; k++) live += group[k]->diverged_step == 0;
            if (!live) break;
            for (int k = 0; k < GROUP; k++) idx[k] = group[k]->order + step * batch;
            while (nb < batch && idx[0][nb] >= 0) nb++;
            group_gradient(group, idx, nb, g, losses, work, zeros);
            for (int k = 0; k < n; k++) {
                Member *m = group[k];
                if (m->diverged_step) continue;
                float sq = 0.0f;
                for (int j = 0; j < K; j++) sq += g[k][j] * g[k][j];
                const float norm = sqrtf(sq);
                m->losses[step] = losses[k];
                if (!isfinite(losses[k]) || !isfinite(norm)) {
                    m->diverged_step = step + 1;
                    continue;
                }
                clip(m, g[k], K, norm);
                update(m, g[k], K, step + 1);
            }
        }
        i += n;
    }
    restore_denormals(csr);
    free(work);
    return 0;
}

/* Validation logits of members [0, count): logits is [count, n_val, outputs]. */
int sweep_logits(Member *members, int count, float *logits) {
    float *zeros, *work = workspace(members, count, &zeros);
    if (!work) return -1;
    unsigned csr = flush_denormals();
    Member *group[GROUP];
    int64_t rows[LANES];
    for (int i = 0; i < count;) {
        const int n = next_group(members, count, i, group);
        const Member *m = group[0];
        View w;
        view_of(group, &w);
        for (int start = 0; start < m->n_val; start += LANES) {
            const int size = m->n_val - start < LANES ? m->n_val - start : LANES;
            float h[WIDTH];
            for (int l = 0; l < size; l++) rows[l] = start + l;
            for (int k = 0; k < GROUP; k++) gather_block(m, k, group[k]->val_x, rows, size, work, zeros);
            forward_block(m, &w, work, work + (size_t)m->length * WIDTH, h);
            for (int k = 0; k < n; k++) {
                float *out = logits + ((size_t)(i + k) * m->n_val + start) * m->outputs;
                for (int l = 0; l < size; l++)
                    for (int o = 0; o < m->outputs; o++)
                        out[(size_t)l * m->outputs + o] = h[k * LANES + l] * w.wo[k][o] + w.bo[k][o];
            }
        }
        i += n;
    }
    restore_denormals(csr);
    free(work);
    return 0;
}
