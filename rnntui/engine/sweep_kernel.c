/* Fused training of many one-unit recurrent models (rnntui sweeps).
 *
 * Each member is a 1-input, 1-unit RNN/LSTM/GRU with a Dense(O) head and a
 * softmax cross-entropy loss on the last step: about ten scalars. One call
 * trains a range of members for a range of optimizer steps, each member on
 * its own data, batch order, length and hyperparameters: forward, backward
 * through time, gradient norm, divergence check, clipping and the optimizer
 * update, with the same equations as rnntui's PyTorch path (cells.py,
 * optim.py). The batch is vectorised in LANES-wide blocks; members are
 * independent, so Python runs disjoint member ranges on several threads.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#define LANES 16
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

/* A member's weights by role, copied out of the flat vector (locals vectorise better). */
typedef struct {
    float wx[4], wh[4], bi[4], bh[4], wo[MAX_OUT], bo[MAX_OUT];
} View;

static View view_of(const Member *m, const float *p) {
    const int g = gates_of(m->cell), o = m->outputs, head = (m->has_bhh ? 4 : 3) * g;
    View v;
    memset(&v, 0, sizeof v);
    for (int k = 0; k < g; k++) {
        v.wx[k] = p[k];
        v.wh[k] = p[g + k];
        v.bi[k] = p[2 * g + k];
        v.bh[k] = m->has_bhh ? p[3 * g + k] : 0.0f;
    }
    for (int k = 0; k < o; k++) {
        v.wo[k] = p[head + k];
        v.bo[k] = p[head + o + k];
    }
    return v;
}

/* Saved values per time step and lane, for the backward pass. */
static int saved_per_step(int cell) { return cell == LSTM ? 7 : cell == GRU ? 5 : 2; }

/* Forward through the block; xs is [length][LANES]; sv gets what backward needs. */
static void forward_block(const Member *m, const View *w, const float *xs, float *sv, float *h_out) {
    const int T = m->length, cell = m->cell, hard = m->hard_gate, S = saved_per_step(cell);
    vf h = {0}, c = {0};
    for (int t = 0; t < T; t++) {
        const vf x = vload(xs + (size_t)t * LANES);
        float *s = sv + (size_t)t * S * LANES;
        if (cell == LSTM) {
            vf i = v_gate((x * w->wx[0] + w->bi[0]) + (h * w->wh[0] + w->bh[0]), hard);
            vf f = v_gate((x * w->wx[1] + w->bi[1]) + (h * w->wh[1] + w->bh[1]), hard);
            vf g = v_tanh((x * w->wx[2] + w->bi[2]) + (h * w->wh[2] + w->bh[2]));
            vf o = v_gate((x * w->wx[3] + w->bi[3]) + (h * w->wh[3] + w->bh[3]), hard);
            vstore(s + 5 * LANES, c);
            vstore(s + 6 * LANES, h);
            c = f * c + i * g;
            vf tc = v_tanh(c);
            h = o * tc;
            vstore(s, i);
            vstore(s + LANES, f);
            vstore(s + 2 * LANES, g);
            vstore(s + 3 * LANES, o);
            vstore(s + 4 * LANES, tc);
        } else if (cell == GRU) {
            vf hn = h * w->wh[2] + w->bh[2];
            vf r = v_gate((x * w->wx[0] + w->bi[0]) + (h * w->wh[0] + w->bh[0]), hard);
            vf z = v_gate((x * w->wx[1] + w->bi[1]) + (h * w->wh[1] + w->bh[1]), hard);
            vf n = v_tanh((x * w->wx[2] + w->bi[2]) + r * hn);
            vstore(s + 4 * LANES, h);
            h = (1.0f - z) * n + z * h;
            vstore(s, r);
            vstore(s + LANES, z);
            vstore(s + 2 * LANES, n);
            vstore(s + 3 * LANES, hn);
        } else {
            vstore(s + LANES, h);
            vf a = (x * w->wx[0] + w->bi[0]) + (h * w->wh[0] + w->bh[0]);
            h = cell == RNN_TANH ? v_tanh(a) : vselect(a > 0.0f, a, a - a);
            vstore(s, h);
        }
    }
    vstore(h_out, h);
}

/* Backward through the block from dL/dh_T (dh); accumulates parameter gradients into g. */
static void backward_block(const Member *m, const View *w, const float *xs, const float *sv,
                           const float *dh_last, float *g) {
    const int T = m->length, cell = m->cell, hard = m->hard_gate, S = saved_per_step(cell);
    const int G = gates_of(cell);
    vf gx[4] = {{0}}, gh[4] = {{0}}, gbi[4] = {{0}}, gbh[4] = {{0}}, dc = {0}, dh = vload(dh_last);
    for (int t = T - 1; t >= 0; t--) {
        const vf x = vload(xs + (size_t)t * LANES);
        const float *s = sv + (size_t)t * S * LANES;
        if (cell == LSTM) {
            vf i = vload(s), f = vload(s + LANES), gg = vload(s + 2 * LANES), o = vload(s + 3 * LANES);
            vf tc = vload(s + 4 * LANES), cp = vload(s + 5 * LANES), hp = vload(s + 6 * LANES);
            vf d_o = dh * tc;
            dc = dc + dh * o * (1.0f - tc * tc);
            vf a[4] = {dc * gg * v_gate_grad(i, hard), dc * cp * v_gate_grad(f, hard),
                       dc * i * (1.0f - gg * gg), d_o * v_gate_grad(o, hard)};
            dc = dc * f;
            dh = a[0] * w->wh[0] + a[1] * w->wh[1] + a[2] * w->wh[2] + a[3] * w->wh[3];
            for (int k = 0; k < 4; k++) {
                gx[k] += a[k] * x;
                gh[k] += a[k] * hp;
                gbi[k] += a[k];
            }
        } else if (cell == GRU) {
            vf r = vload(s), z = vload(s + LANES), n = vload(s + 2 * LANES), hn = vload(s + 3 * LANES);
            vf hp = vload(s + 4 * LANES);
            vf an = dh * (1.0f - z) * (1.0f - n * n);
            vf az = dh * (hp - n) * v_gate_grad(z, hard);
            vf ar = an * hn * v_gate_grad(r, hard);
            vf dhn = an * r;
            gx[0] += ar * x; gbi[0] += ar; gh[0] += ar * hp; gbh[0] += ar;
            gx[1] += az * x; gbi[1] += az; gh[1] += az * hp; gbh[1] += az;
            gx[2] += an * x; gbi[2] += an; gh[2] += dhn * hp; gbh[2] += dhn;
            dh = dh * z + ar * w->wh[0] + az * w->wh[1] + dhn * w->wh[2];
        } else {
            vf h = vload(s), hp = vload(s + LANES);
            vf slope = cell == RNN_TANH ? 1.0f - h * h : vselect(h > 0.0f, h - h + 1.0f, h - h);
            vf a = dh * slope;
            gx[0] += a * x; gh[0] += a * hp; gbi[0] += a;
            dh = a * w->wh[0];
        }
    }
    const int bh_at = m->has_bhh ? 3 * G : -1;
    for (int k = 0; k < G; k++) {
        float sx = 0, sh = 0, sb = 0, sbh = 0;
        for (int l = 0; l < LANES; l++) {
            sx += gx[k][l];
            sh += gh[k][l];
            sb += gbi[k][l];
            sbh += cell == GRU ? gbh[k][l] : gbi[k][l];
        }
        g[k] += sx;
        g[G + k] += sh;
        g[2 * G + k] += sb;
        if (bh_at >= 0) g[bh_at + k] += sbh;
    }
}

/* Dense head on h_T for a block: logits [MAX_OUT][LANES]. */
static void readout(const Member *m, const View *w, const float *h, float logits[MAX_OUT][LANES]) {
    for (int o = 0; o < m->outputs; o++)
        for (int l = 0; l < LANES; l++) logits[o][l] = h[l] * w->wo[o] + w->bo[o];
}

/* Gather the samples of one lane block, time-major; reversed for go_backwards. */
static void gather_block(const Member *m, const float *data, const int64_t *rows, int count, float *xs) {
    const int T = m->length;
    memset(xs, 0, sizeof(float) * (size_t)T * LANES);
    for (int l = 0; l < count; l++) {
        const float *row = data + (size_t)rows[l] * T;
        for (int t = 0; t < T; t++) xs[(size_t)(m->reverse ? T - 1 - t : t) * LANES + l] = row[t];
    }
}

/* Loss and gradient of one minibatch for one member; returns the mean loss. */
static float member_gradient(const Member *m, const int64_t *idx, int nb, float *g, float *work) {
    const View w = view_of(m, m->params);
    const int O = m->outputs, G = gates_of(m->cell);
    float *xs = work, *sv = work + (size_t)m->length * LANES;
    float total = 0.0f;
    memset(g, 0, sizeof(float) * n_params(m));
    for (int start = 0; start < nb; start += LANES) {
        int count = nb - start < LANES ? nb - start : LANES;
        float h[LANES], dh[LANES], logits[MAX_OUT][LANES];
        gather_block(m, m->train_x, idx + start, count, xs);
        forward_block(m, &w, xs, sv, h);
        readout(m, &w, h, logits);
        float *gwo = g + (m->has_bhh ? 4 : 3) * G, *gbo = gwo + O;
        for (int l = 0; l < LANES; l++) dh[l] = 0.0f;
        for (int l = 0; l < count; l++) {
            int y = (int)m->train_y[idx[start + l]];
            float top = logits[0][l], sum = 0.0f;
            for (int o = 1; o < O; o++) top = logits[o][l] > top ? logits[o][l] : top;
            for (int o = 0; o < O; o++) sum += expf(logits[o][l] - top);
            total += top + logf(sum) - logits[y][l];
            for (int o = 0; o < O; o++) {
                float dz = (expf(logits[o][l] - top) / sum - (o == y ? 1.0f : 0.0f)) / (float)nb;
                gwo[o] += dz * h[l];
                gbo[o] += dz;
                dh[l] += dz * w.wo[o];
            }
        }
        backward_block(m, &w, xs, sv, dh, g);
    }
    return total / (float)nb;
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

static float *workspace(const Member *members, int count, int extra) {
    int longest = 1;
    for (int i = 0; i < count; i++) longest = members[i].length > longest ? members[i].length : longest;
    return malloc(sizeof(float) * ((size_t)longest * LANES * 8 + extra));
}

/* Train members [0, count) over optimizer steps [step_begin, step_end), 0-based. Returns 0, or -1 on OOM. */
int sweep_train(Member *members, int count, int64_t step_begin, int64_t step_end, int batch) {
    float *work = workspace(members, count, 0);
    if (!work) return -1;
    unsigned csr = flush_denormals();
    float g[MAX_PARAMS];
    for (int i = 0; i < count; i++) {
        Member *m = &members[i];
        const int K = n_params(m);
        for (int64_t step = step_begin; step < step_end && !m->diverged_step; step++) {
            const int64_t *idx = m->order + step * batch;
            int nb = 0;
            while (nb < batch && idx[nb] >= 0) nb++;
            float loss = member_gradient(m, idx, nb, g, work);
            float sq = 0.0f;
            for (int k = 0; k < K; k++) sq += g[k] * g[k];
            float norm = sqrtf(sq);
            m->losses[step] = loss;
            if (!isfinite(loss) || !isfinite(norm)) {
                m->diverged_step = step + 1;
                break;
            }
            clip(m, g, K, norm);
            update(m, g, K, step + 1);
        }
    }
    restore_denormals(csr);
    free(work);
    return 0;
}

/* Validation logits of members [0, count): logits is [count, n_val, outputs]. */
int sweep_logits(const Member *members, int count, float *logits) {
    float *work = workspace(members, count, 0);
    if (!work) return -1;
    unsigned csr = flush_denormals();
    for (int i = 0; i < count; i++) {
        const Member *m = &members[i];
        const View w = view_of(m, m->params);
        float *out = logits + (size_t)i * m->n_val * m->outputs;
        int64_t rows[LANES];
        for (int start = 0; start < m->n_val; start += LANES) {
            int n = m->n_val - start < LANES ? m->n_val - start : LANES;
            float h[LANES], z[MAX_OUT][LANES];
            for (int l = 0; l < n; l++) rows[l] = start + l;
            gather_block(m, m->val_x, rows, n, work);
            forward_block(m, &w, work, work + (size_t)m->length * LANES, h);
            readout(m, &w, h, z);
            for (int l = 0; l < n; l++)
                for (int o = 0; o < m->outputs; o++) out[(size_t)(start + l) * m->outputs + o] = z[o][l];
        }
    }
    restore_denormals(csr);
    free(work);
    return 0;
}
