// oneDNN 2.6 convolution forward, N64 C32→64 14×14 3×3 pad 1, on plain NCHW memory or with
// layouts chosen by oneDNN ("any", blocked), for comparison with `neuron bench ops` (conv_n64_32x64_14x14).
//   cc -O2 -o /tmp/dnnl_conv bench/dnnl_conv.c -ldnnl && /tmp/dnnl_conv && /tmp/dnnl_conv any
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#define CHECK(x) do { dnnl_status_t s = (x); if (s != dnnl_success) { printf("error %d at %s\n", s, #x); exit(1);} } while (0)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc, char **argv) {
  int any = argc > 1;
  int N=64,C=32,H=14,W=14,OC=64,K=3;
  dnnl_engine_t eng; CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
  dnnl_stream_t st; CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
  dnnl_dims_t sd={N,C,H,W}, wd={OC,C,K,K}, dd={N,OC,H,W}, strides={1,1}, pad={1,1};
  dnnl_memory_desc_t src, wei, dst, src_any, wei_any, dst_any;
  CHECK(dnnl_memory_desc_init_by_tag(&src,4,sd,dnnl_f32,dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&wei,4,wd,dnnl_f32,dnnl_oihw));
  CHECK(dnnl_memory_desc_init_by_tag(&dst,4,dd,dnnl_f32,dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&src_any,4,sd,dnnl_f32,dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&wei_any,4,wd,dnnl_f32,dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&dst_any,4,dd,dnnl_f32,dnnl_format_tag_any));
  dnnl_convolution_desc_t cd;
  CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
        any ? &src_any : &src, any ? &wei_any : &wei, NULL, any ? &dst_any : &dst, strides, pad, pad));
  dnnl_primitive_desc_t pd; CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL));
  const char *impl; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  dnnl_primitive_t conv; CHECK(dnnl_primitive_create(&conv, pd));
  const dnnl_memory_desc_t *s_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t *d_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  dnnl_memory_t ms, mw, md;
  CHECK(dnnl_memory_create(&ms, s_md, eng, DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&mw, w_md, eng, DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&md, d_md, eng, DNNL_MEMORY_ALLOCATE));
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}};
  for (int i=0;i<3;i++){ CHECK(dnnl_primitive_execute(conv, st, 3, args)); dnnl_stream_wait(st);}
  double t=now(); for(int i=0;i<20;i++){ CHECK(dnnl_primitive_execute(conv, st, 3, args)); } dnnl_stream_wait(st); t=(now()-t)/20;
  printf("%s impl=%s %.2f ms %.1f GFLOP/s\n", any?"any":"nchw", impl, t*1e3, 2.0*N*OC*H*W*C*K*K/t/1e9);
  return 0;
}
