// Float32 convolutions through oneDNN's direct (JIT) kernels. They work in blocked layouts
// (nChw8c, OIhw8i8o, ...): each call reorders its operands from the layouts they are stored in
// into the ones the primitive chose, and its result back. Activations may be stored plain (NCHW)
// or channel-blocked (nChw8c, nChw16c); stored in the primitive's own layout they need no
// reorder, which is how consecutive convolutions, batch norms and ReLUs keep oneDNN's layout
// (see "Channel-blocked activations" in NeuronKernels.h). The reorders are memory-bound and cost
// far less than the im2col work they replace (bench/dnnl_resnet_convs.c). Primitives and
// reorders are built once per geometry, pass and fusion and kept in a small cache. Inference may
// fuse a bias, a residual sum and a clamp (ReLU, ReLU6) into the forward pass as oneDNN post-ops.
#include "NeuronKernels.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <math.h>
#include <string.h>

enum { CACHE_SIZE = 128 };

// Stored layouts of an operand: plain (NCHW, OIHW, GOIHW) and, for activations, nChw8c and nChw16c.
enum { LAYOUTS = 3 };

static int layout_index(int block) { return block == 16 ? 2 : block == 8 ? 1 : 0; }

typedef struct {
    int arg;                              // DNNL_ARG_* of this operand
    int is_output;
    dnnl_memory_desc_t inner;             // the layout the primitive works in
    int inner_block;                      // 8 or 16 when `inner` is a stored channel-blocked layout, else 0
    dnnl_memory_desc_t user[LAYOUTS];     // the layouts Neuron stores it in (only [0] for weights)
    int valid[LAYOUTS];                   // which of `user` exist for these dimensions
    int built[LAYOUTS];                   // which of `reorders` were made
    dnnl_primitive_t reorders[LAYOUTS];   // user → inner (inputs) or inner → user (output); NULL if equal
} operand;

typedef struct {
    nk_conv_geometry geometry;
    nk_conv_fusion fusion;
    int pass, supported, used;
    dnnl_primitive_t primitive;
    operand inputs[2], output;
    dnnl_primitive_t residual_reorder;  // the residual into the output's inner layout, if any
} cache_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int ready = 0, disabled = 0, next_victim = 0;
static cache_entry cache[CACHE_SIZE];

static void release(cache_entry *e) {
    if (!e->used) return;
    if (e->primitive) dnnl_primitive_destroy(e->primitive);
    operand *operands[3] = {&e->inputs[0], &e->inputs[1], &e->output};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < LAYOUTS; k++)
            if (operands[i]->reorders[k]) dnnl_primitive_destroy(operands[i]->reorders[k]);
    if (e->residual_reorder) dnnl_primitive_destroy(e->residual_reorder);
    memset(e, 0, sizeof *e);
}

static dnnl_status_t make_reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                                  dnnl_primitive_t *out) {
    *out = NULL;
    if (dnnl_memory_desc_equal(from, to)) return dnnl_success;
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL);
    if (s != dnnl_success) return s;
    s = dnnl_primitive_create(out, pd);
    dnnl_primitive_desc_destroy(pd);
    return s;
}

static dnnl_status_t reorder_for(operand *o, int k, dnnl_primitive_t *out);

// An operand stored as `plain`; an activation (4-D, `activation`) may also be stored
// channel-blocked by 8 or 16 where its channels divide into blocks. Reorders are made on first use.
static dnnl_status_t setup_operand(operand *o, int arg, const dnnl_memory_desc_t *plain, int activation,
                                   const_dnnl_primitive_desc_t pd, dnnl_query_t query, int is_output) {
    o->arg = arg;
    o->is_output = is_output;
    o->inner = *dnnl_primitive_desc_query_md(pd, query, 0);
    o->user[0] = *plain;
    o->valid[0] = 1;
    if (activation) {
        const dnnl_format_tag_t tags[LAYOUTS] = {dnnl_nchw, dnnl_nChw8c, dnnl_nChw16c};
        const int blocks[LAYOUTS] = {1, 8, 16};
        for (int k = 1; k < LAYOUTS; k++) {
            if (plain->dims[1] % blocks[k]) continue;
            dnnl_memory_desc_init_by_tag(&o->user[k], 4, plain->dims, dnnl_f32, tags[k]);
            o->valid[k] = 1;
            if (dnnl_memory_desc_equal(&o->user[k], &o->inner)) o->inner_block = blocks[k];
        }
    }
    dnnl_primitive_t plain_reorder;
    return reorder_for(o, 0, &plain_reorder);
}

// The reorder between the operand stored in layout `k` and its inner layout (NULL when equal).
static dnnl_status_t reorder_for(operand *o, int k, dnnl_primitive_t *out) {
    if (!o->built[k]) {
        dnnl_status_t s = o->is_output ? make_reorder(&o->inner, &o->user[k], &o->reorders[k])
                                       : make_reorder(&o->user[k], &o->inner, &o->reorders[k]);
        if (s != dnnl_success) return s;
        o->built[k] = 1;
    }
    *out = o->reorders[k];
    return dnnl_success;
}

// Builds the primitive for one pass; any failure (an unsupported geometry) leaves it unsupported.
static void build(cache_entry *e) {
    const nk_conv_geometry *g = &e->geometry;
    int64_t pb = (g->oh - 1) * g->sh + (g->kh - 1) * g->dh + 1 - g->h - g->pt;
    int64_t pr = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 - g->w - g->pl;
    // A stride that leaves input rows unused gives a negative remainder; oneDNN rounds the
    // output size down the same way, so no padding stands for it.
    if (pb < 0) pb = 0;
    if (pr < 0) pr = 0;
    if ((g->h + g->pt + pb - (g->kh - 1) * g->dh - 1) / g->sh + 1 != g->oh ||
        (g->w + g->pl + pr - (g->kw - 1) * g->dw - 1) / g->sw + 1 != g->ow)
        return;
    dnnl_dims_t xd = {g->n, g->c, g->h, g->w}, yd = {g->n, g->oc, g->oh, g->ow};
    dnnl_dims_t wd = {g->groups, g->oc / g->groups, g->c / g->groups, g->kh, g->kw};
    dnnl_dims_t strides = {g->sh, g->sw}, dilates = {g->dh - 1, g->dw - 1};
    dnnl_dims_t left = {g->pt, g->pl}, right = {pb, pr};
    int grouped = g->groups > 1;
    dnnl_memory_desc_t x, y, w, xa, ya, wa;
    dnnl_memory_desc_init_by_tag(&x, 4, xd, dnnl_f32, dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&y, 4, yd, dnnl_f32, dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&w, grouped ? 5 : 4, grouped ? wd : wd + 1, dnnl_f32,
                                 grouped ? dnnl_goihw : dnnl_oihw);
    dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wa, grouped ? 5 : 4, grouped ? wd : wd + 1, dnnl_f32, dnnl_format_tag_any);

    const nk_conv_fusion *f = &e->fusion;
    dnnl_dims_t bd = {g->oc};
    dnnl_memory_desc_t b;
    dnnl_memory_desc_init_by_tag(&b, 1, bd, dnnl_f32, dnnl_a);
    dnnl_convolution_desc_t forward;
    if (dnnl_dilated_convolution_forward_desc_init(&forward, f->bias || f->residual || f->clamp ? dnnl_forward_inference : dnnl_forward_training,
                                                   dnnl_convolution_direct, &xa, &wa, f->bias ? &b : NULL, &ya, strides, dilates,
                                                   left, right) != dnnl_success)
        return;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    // A clamp from a nonzero lower bound to infinity is no oneDNN algorithm: left to the caller.
    if (f->clamp && isinf(f->hi) && f->lo != 0) return;
    if (f->residual || f->clamp) {
        dnnl_primitive_attr_create(&attr);
        dnnl_post_ops_create(&post_ops);
        if (f->residual) dnnl_post_ops_append_sum(post_ops, 1.0f);
        if (f->clamp)
            dnnl_post_ops_append_eltwise(post_ops, 1.0f, isinf(f->hi) ? dnnl_eltwise_relu : dnnl_eltwise_clip, f->lo, f->hi);
        dnnl_primitive_attr_set_post_ops(attr, post_ops);
    }
    dnnl_primitive_desc_t forward_pd = NULL, pd = NULL;
    dnnl_status_t made = dnnl_primitive_desc_create(&forward_pd, &forward, attr, engine, NULL);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (made != dnnl_success) return;
    dnnl_status_t s = dnnl_success;
    if (e->pass == NK_CONV_FORWARD) {
        pd = forward_pd;
        forward_pd = NULL;
        s = setup_operand(&e->inputs[0], DNNL_ARG_SRC, &x, 1, pd, dnnl_query_src_md, 0);
        if (s == dnnl_success) s = setup_operand(&e->inputs[1], DNNL_ARG_WEIGHTS, &w, 0, pd, dnnl_query_weights_md, 0);
        if (s == dnnl_success) s = setup_operand(&e->output, DNNL_ARG_DST, &y, 1, pd, dnnl_query_dst_md, 1);
        if (s == dnnl_success && f->residual) s = make_reorder(&e->output.user[0], &e->output.inner, &e->residual_reorder);
    } else if (e->pass == NK_CONV_BACKWARD_DATA) {
        dnnl_convolution_desc_t d;
        s = dnnl_dilated_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &xa, &wa, &ya, strides,
                                                             dilates, left, right);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, NULL, engine, forward_pd);
        if (s == dnnl_success) s = setup_operand(&e->inputs[0], DNNL_ARG_DIFF_DST, &y, 1, pd, dnnl_query_diff_dst_md, 0);
        if (s == dnnl_success) s = setup_operand(&e->inputs[1], DNNL_ARG_WEIGHTS, &w, 0, pd, dnnl_query_weights_md, 0);
        if (s == dnnl_success) s = setup_operand(&e->output, DNNL_ARG_DIFF_SRC, &x, 1, pd, dnnl_query_diff_src_md, 1);
    } else {
        dnnl_convolution_desc_t d;
        s = dnnl_dilated_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &xa, &wa, NULL, &ya,
                                                                strides, dilates, left, right);
        if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, NULL, engine, forward_pd);
        if (s == dnnl_success) s = setup_operand(&e->inputs[0], DNNL_ARG_SRC, &x, 1, pd, dnnl_query_src_md, 0);
        if (s == dnnl_success) s = setup_operand(&e->inputs[1], DNNL_ARG_DIFF_DST, &y, 1, pd, dnnl_query_diff_dst_md, 0);
        if (s == dnnl_success) s = setup_operand(&e->output, DNNL_ARG_DIFF_WEIGHTS, &w, 0, pd, dnnl_query_diff_weights_md, 1);
    }
    if (s == dnnl_success) s = dnnl_primitive_create(&e->primitive, pd);
    if (forward_pd) dnnl_primitive_desc_destroy(forward_pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    e->supported = s == dnnl_success;
}

static cache_entry *lookup(const nk_conv_geometry *g, int pass, const nk_conv_fusion *f) {
    for (int i = 0; i < CACHE_SIZE; i++)
        if (cache[i].used && cache[i].pass == pass && !memcmp(&cache[i].geometry, g, sizeof *g) &&
            !memcmp(&cache[i].fusion, f, sizeof *f))
            return &cache[i];
    cache_entry *e = NULL;
    for (int i = 0; i < CACHE_SIZE && !e; i++)
        if (!cache[i].used) e = &cache[i];
    if (!e) {
        e = &cache[next_victim];
        next_victim = (next_victim + 1) % CACHE_SIZE;
        release(e);
    }
    e->used = 1;
    e->geometry = *g;
    e->fusion = *f;
    e->pass = pass;
    build(e);
    return e;
}

// Takes the lock and finds (or builds) the entry of one pass; NULL, unlocked, when oneDNN cannot run it.
static cache_entry *locked_entry(int pass, const nk_conv_geometry *g, const nk_conv_fusion *f) {
    nk_wait_for_dnnl_warm_up();
    pthread_mutex_lock(&lock);
    if (disabled) { pthread_mutex_unlock(&lock); return NULL; }
    if (!ready) {
        if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success ||
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
            disabled = 1;
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        ready = 1;
    }
    cache_entry *e = lookup(g, pass, f);
    if (!e->supported) { pthread_mutex_unlock(&lock); return NULL; }
    return e;
}

// Runs one pass with its activations stored channel-blocked by blocks[i] (0: plain; the weights
// are always plain); a fused forward also takes the bias and the residual (plain; already in
// `out`'s place when there is no output reorder, else reordered into the inner output first).
static int run(int pass, const nk_conv_geometry *g, const nk_conv_fusion *f, const float *a, const float *b,
               const float *bias, const float *residual, float *out, const int blocks[3]) {
    cache_entry *e = locked_entry(pass, g, f);
    if (!e) return 1;
    const void *sources[2] = {a, b};
    dnnl_memory_t user[3] = {NULL}, inner[3] = {NULL}, bias_memory = NULL, residual_memory = NULL;
    dnnl_primitive_t reorders[3] = {NULL};
    void *scratch[3] = {NULL};
    size_t capacity[3] = {0};
    dnnl_exec_arg_t args[4];
    int arg_count = 3;
    dnnl_status_t status = dnnl_success;
    for (int i = 0; i < 3 && status == dnnl_success; i++) {
        operand *o = i < 2 ? &e->inputs[i] : &e->output;
        void *data = i < 2 ? (void *)sources[i] : out;
        const int k = layout_index(blocks[i]);
        if (!o->valid[k]) { status = dnnl_invalid_arguments; break; }
        status = reorder_for(o, k, &reorders[i]);
        if (status == dnnl_success) status = dnnl_memory_create(&user[i], &o->user[k], engine, data);
        if (status == dnnl_success && reorders[i]) {
            scratch[i] = nk_alloc(dnnl_memory_desc_get_size(&o->inner), &capacity[i]);
            status = dnnl_memory_create(&inner[i], &o->inner, engine, scratch[i]);
        }
        args[i].arg = o->arg;
        args[i].memory = reorders[i] ? inner[i] : user[i];
        if (status == dnnl_success && i < 2 && reorders[i]) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, user[i]}, {DNNL_ARG_TO, inner[i]}};
            status = dnnl_primitive_execute(reorders[i], stream, 2, r);
        }
    }
    if (status == dnnl_success && f->bias) {
        dnnl_dims_t bd = {g->oc};
        dnnl_memory_desc_t bdesc;
        dnnl_memory_desc_init_by_tag(&bdesc, 1, bd, dnnl_f32, dnnl_a);
        status = dnnl_memory_create(&bias_memory, &bdesc, engine, (void *)bias);
        args[arg_count++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, bias_memory};
    }
    if (status == dnnl_success && f->residual) {
        // The sum post-op adds what the destination holds: the residual, in the inner layout.
        if (e->residual_reorder) {
            status = dnnl_memory_create(&residual_memory, &e->output.user[0], engine, (void *)residual);
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, residual_memory}, {DNNL_ARG_TO, inner[2]}};
            if (status == dnnl_success) status = dnnl_primitive_execute(e->residual_reorder, stream, 2, r);
        } else if (residual != out) {
            memcpy(out, residual, dnnl_memory_desc_get_size(&e->output.user[0]));
        }
    }
    if (status == dnnl_success) status = dnnl_primitive_execute(e->primitive, stream, arg_count, args);
    if (status == dnnl_success && reorders[2]) {
        dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, inner[2]}, {DNNL_ARG_TO, user[2]}};
        status = dnnl_primitive_execute(reorders[2], stream, 2, r);
    }
    if (status == dnnl_success) status = dnnl_stream_wait(stream);
    if (bias_memory) dnnl_memory_destroy(bias_memory);
    if (residual_memory) dnnl_memory_destroy(residual_memory);
    for (int i = 0; i < 3; i++) {
        if (user[i]) dnnl_memory_destroy(user[i]);
        if (inner[i]) dnnl_memory_destroy(inner[i]);
        nk_free(scratch[i], capacity[i]);
    }
    // A failure leaves the output unspecified; the caller recomputes it with its own kernels.
    pthread_mutex_unlock(&lock);
    return status == dnnl_success ? 0 : 1;
}

int nk_dnnl_conv2d_blocks(int pass, const nk_conv_geometry *g, int *x_block, int *y_block) {
    const nk_conv_fusion none = {0};
    cache_entry *e = locked_entry(pass, g, &none);
    if (!e) return 1;
    // The activation operands: x-side first (src or diff_src), then y-side (dst or diff_dst).
    const operand *x = pass == NK_CONV_BACKWARD_DATA ? &e->output : &e->inputs[0];
    const operand *y = pass == NK_CONV_FORWARD ? &e->output : pass == NK_CONV_BACKWARD_DATA ? &e->inputs[0] : &e->inputs[1];
    *x_block = x->inner_block;
    *y_block = y->inner_block;
    pthread_mutex_unlock(&lock);
    return 0;
}

int nk_dnnl_conv2d_blocked_f32(int pass, const nk_conv_geometry *g, const float *a, int a_block, const float *b,
                               int b_block, float *out, int out_block) {
    const nk_conv_fusion none = {0};
    const int blocks[3] = {a_block, b_block, out_block};
    return run(pass, g, &none, a, b, NULL, NULL, out, blocks);
}

int nk_dnnl_conv2d_f32(int pass, const nk_conv_geometry *g, const float *a, const float *b, float *out) {
    const nk_conv_fusion none = {0};
    const int plain[3] = {0, 0, 0};
    return run(pass, g, &none, a, b, NULL, NULL, out, plain);
}

int nk_dnnl_conv2d_fused_f32(const nk_conv_geometry *g, const nk_conv_fusion *f, const float *x, const float *w,
                             const float *bias, const float *residual, float *y) {
    nk_conv_fusion key = *f;
    key.bias = bias != NULL;
    key.residual = residual != NULL;
    const int plain[3] = {0, 0, 0};
    return run(NK_CONV_FORWARD, g, &key, x, w, bias, residual, y, plain);
}
