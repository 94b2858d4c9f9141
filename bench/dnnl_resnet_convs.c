// Every convolution shape of ResNet-20 and LeNet-5 on Fashion-MNIST (batch 64): oneDNN 2.6's
// direct kernels (blocked layouts chosen by oneDNN, NCHW reorders in and out included) against
// Neuron's own im2col + GEMM products, for the forward pass, the input gradient and the weight
// gradient. Milliseconds per call after a warm-up round; the totals weight each shape by its
// count in one ResNet-20 training step.
//   clang -O3 -march=x86-64-v3 -ISources/CNeuronKernels/include -o /tmp/convs bench/dnnl_resnet_convs.c \
//       Sources/CNeuronKernels/*.c -ldnnl -lm -l:libgomp.so.1 && /tmp/convs
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "NeuronKernels.h"
#define CHECK(x) do { dnnl_status_t s = (x); if (s != dnnl_success) { printf("error %d at %s line %d\n", s, #x, __LINE__); exit(1);} } while (0)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static dnnl_engine_t eng; static dnnl_stream_t st;
static dnnl_primitive_t reorder(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b){
  dnnl_primitive_desc_t pd; CHECK(dnnl_reorder_primitive_desc_create(&pd,a,eng,b,eng,NULL));
  dnnl_primitive_t p; CHECK(dnnl_primitive_create(&p,pd)); return p;}
static void run2(dnnl_primitive_t p, dnnl_memory_t a, dnnl_memory_t b){ dnnl_exec_arg_t args[2]={{DNNL_ARG_FROM,a},{DNNL_ARG_TO,b}}; CHECK(dnnl_primitive_execute(p,st,2,args)); }
static dnnl_memory_t mem(const dnnl_memory_desc_t *d){ dnnl_memory_t m; CHECK(dnnl_memory_create(&m,d,eng,DNNL_MEMORY_ALLOCATE)); return m;}
static void fill(dnnl_memory_t m){ void *p; dnnl_memory_get_data_handle(m,&p); const dnnl_memory_desc_t *d; dnnl_memory_get_memory_desc(m,&d); size_t s=dnnl_memory_desc_get_size(d); float *f=p; for(size_t i=0;i<s/4;i++) f[i]=(float)((i*7919)%1000)/1000.f-0.5f;}
void shape(int N,int C,int H,int OC,int K,int S,int P,int count, double *tot_ours, double *tot_dnnl){
  int OH=(H+2*P-K)/S+1;
  dnnl_dims_t sd={N,C,H,H}, wd={OC,C,K,K}, dd={N,OC,OH,OH}, strides={S,S}, pad={P,P};
  dnnl_memory_desc_t src,wei,dst,sa,wa,da;
  CHECK(dnnl_memory_desc_init_by_tag(&src,4,sd,dnnl_f32,dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&wei,4,wd,dnnl_f32,dnnl_oihw));
  CHECK(dnnl_memory_desc_init_by_tag(&dst,4,dd,dnnl_f32,dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&sa,4,sd,dnnl_f32,dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&wa,4,wd,dnnl_f32,dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&da,4,dd,dnnl_f32,dnnl_format_tag_any));
  dnnl_convolution_desc_t cd,bd,wdsc;
  CHECK(dnnl_convolution_forward_desc_init(&cd,dnnl_forward_training,dnnl_convolution_direct,&sa,&wa,NULL,&da,strides,pad,pad));
  dnnl_primitive_desc_t fpd; CHECK(dnnl_primitive_desc_create(&fpd,&cd,NULL,eng,NULL));
  CHECK(dnnl_convolution_backward_data_desc_init(&bd,dnnl_convolution_direct,&sa,&wa,&da,strides,pad,pad));
  dnnl_primitive_desc_t bpd; CHECK(dnnl_primitive_desc_create(&bpd,&bd,NULL,eng,fpd));
  CHECK(dnnl_convolution_backward_weights_desc_init(&wdsc,dnnl_convolution_direct,&sa,&wa,NULL,&da,strides,pad,pad));
  dnnl_primitive_desc_t wpd; CHECK(dnnl_primitive_desc_create(&wpd,&wdsc,NULL,eng,fpd));
  const char *i1,*i2,*i3; dnnl_primitive_desc_query(fpd,dnnl_query_impl_info_str,0,&i1); dnnl_primitive_desc_query(bpd,dnnl_query_impl_info_str,0,&i2); dnnl_primitive_desc_query(wpd,dnnl_query_impl_info_str,0,&i3);
  const dnnl_memory_desc_t *fs=dnnl_primitive_desc_query_md(fpd,dnnl_query_src_md,0),*fw=dnnl_primitive_desc_query_md(fpd,dnnl_query_weights_md,0),*fd=dnnl_primitive_desc_query_md(fpd,dnnl_query_dst_md,0);
  const dnnl_memory_desc_t *bs=dnnl_primitive_desc_query_md(bpd,dnnl_query_diff_src_md,0),*bw=dnnl_primitive_desc_query_md(bpd,dnnl_query_weights_md,0),*bdd=dnnl_primitive_desc_query_md(bpd,dnnl_query_diff_dst_md,0);
  const dnnl_memory_desc_t *ws=dnnl_primitive_desc_query_md(wpd,dnnl_query_src_md,0),*ww=dnnl_primitive_desc_query_md(wpd,dnnl_query_diff_weights_md,0),*wdd=dnnl_primitive_desc_query_md(wpd,dnnl_query_diff_dst_md,0);
  dnnl_primitive_t fp,bp,wp; CHECK(dnnl_primitive_create(&fp,fpd)); CHECK(dnnl_primitive_create(&bp,bpd)); CHECK(dnnl_primitive_create(&wp,wpd));
  dnnl_memory_t x=mem(&src), w=mem(&wei), y=mem(&dst), gx=mem(&src), gw=mem(&wei), gy=mem(&dst);
  fill(x); fill(w); fill(gy);
  dnnl_memory_t xb=mem(fs), wb=mem(fw), yb=mem(fd), gyb=mem(bdd), gxb=mem(bs), gwb=mem(ww), wbb=mem(bw), xw=mem(ws), gyw=mem(wdd);
  dnnl_primitive_t r_x=reorder(&src,fs), r_w=reorder(&wei,fw), r_y=reorder(fd,&dst), r_gy=reorder(&dst,bdd), r_gx=reorder(bs,&src), r_gw=reorder(ww,&wei), r_w2=reorder(&wei,bw), r_xw=reorder(&src,ws), r_gyw=reorder(&dst,wdd);
  int it=20; double t0,tf,tb,tw;
  for(int rep=0;rep<2;rep++){
  t0=now(); for(int i=0;i<it;i++){ run2(r_x,x,xb); run2(r_w,w,wb); dnnl_exec_arg_t a[3]={{DNNL_ARG_SRC,xb},{DNNL_ARG_WEIGHTS,wb},{DNNL_ARG_DST,yb}}; CHECK(dnnl_primitive_execute(fp,st,3,a)); run2(r_y,yb,y);} tf=(now()-t0)/it;
  t0=now(); for(int i=0;i<it;i++){ run2(r_gy,gy,gyb); run2(r_w2,w,wbb); dnnl_exec_arg_t a[3]={{DNNL_ARG_DIFF_DST,gyb},{DNNL_ARG_WEIGHTS,wbb},{DNNL_ARG_DIFF_SRC,gxb}}; CHECK(dnnl_primitive_execute(bp,st,3,a)); run2(r_gx,gxb,gx);} tb=(now()-t0)/it;
  t0=now(); for(int i=0;i<it;i++){ run2(r_xw,x,xw); run2(r_gyw,gy,gyw); dnnl_exec_arg_t a[3]={{DNNL_ARG_SRC,xw},{DNNL_ARG_DIFF_DST,gyw},{DNNL_ARG_DIFF_WEIGHTS,gwb}}; CHECK(dnnl_primitive_execute(wp,st,3,a)); run2(r_gw,gwb,gw);} tw=(now()-t0)/it;
  }
  // ours
  nk_conv_geometry g={N,C,H,H,OC,OH,OH,K,K,S,S,P,P,1,1,1};
  void *px,*pw,*py,*pgx,*pgw,*pgy; dnnl_memory_get_data_handle(x,&px);dnnl_memory_get_data_handle(w,&pw);dnnl_memory_get_data_handle(y,&py);dnnl_memory_get_data_handle(gx,&pgx);dnnl_memory_get_data_handle(gw,&pgw);dnnl_memory_get_data_handle(gy,&pgy);
  float *cols=malloc(4*nk_conv2d_column_count(&g));
  double of,ob,ow;
  for(int rep=0;rep<2;rep++){
  t0=now(); for(int i=0;i<it;i++){ nk_conv2d_columns_f32(&g,px,cols); nk_conv2d_from_columns_f32(&g,cols,pw,py);} of=(now()-t0)/it;
  t0=now(); for(int i=0;i<it;i++){ nk_conv2d_adjoint_f32(&g,pgy,pw,pgx);} ob=(now()-t0)/it;
  t0=now(); for(int i=0;i<it;i++){ nk_conv2d_weight_grad_from_columns_f32(&g,cols,pgy,pgw);} ow=(now()-t0)/it;
  }
  printf("%dx%d %d->%d k%d s%d x%d | dnnl fwd %.3f bwd %.3f wgt %.3f ms (%s/%s/%s) | ours %.3f %.3f %.3f\n",H,H,C,OC,K,S,count,tf*1e3,tb*1e3,tw*1e3,i1,i2,i3,of*1e3,ob*1e3,ow*1e3);
  *tot_dnnl += count*(tf+tb+tw); *tot_ours += count*(of+ob+ow);
}
int main(){ CHECK(dnnl_engine_create(&eng,dnnl_cpu,0)); CHECK(dnnl_stream_create(&st,eng,dnnl_stream_default_flags));
  double o=0,d=0;
  printf("LeNet-5:\n");
  shape(64,1,28,6,5,1,2,1,&o,&d);
  shape(64,6,14,16,5,1,0,1,&o,&d);
  o=d=0;
  printf("ResNet-20 (x = uses per step):\n");
  shape(64,1,28,16,3,1,1,1,&o,&d);
  shape(64,16,28,16,3,1,1,6,&o,&d);
  shape(64,16,28,32,3,2,1,1,&o,&d);
  shape(64,16,28,32,1,2,0,1,&o,&d);
  shape(64,32,14,32,3,1,1,5,&o,&d);
  shape(64,32,14,64,3,2,1,1,&o,&d);
  shape(64,32,14,64,1,2,0,1,&o,&d);
  shape(64,64,7,64,3,1,1,5,&o,&d);
  printf("ResNet-20 convolutions per training step: Neuron im2col %.1f ms, oneDNN %.1f ms\n",o*1e3,d*1e3);
}
