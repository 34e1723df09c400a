// Can RIFE's ResConv epilogue, leaky_relu(conv(x) * beta + x, 0.2), run inside oneDNN's convolution as
// post-ops (binary mul per channel, binary add of the full residual, eltwise relu)? Compares, on three
// of RIFE v4.25's ResConv shapes at 720p: the kernel oneDNN picks, the outputs against the separate
// form (conv + bias, then the epilogue in a plain loop), and the time of the fused convolution against
// the plain convolution alone. Results: BENCHMARKS.md ("engine speed, second round").
//
//   g++ -O2 -std=c++17 Benchmarks/dnnl_resconv_postops.cpp -o /tmp/dnnl_resconv_postops -ldnnl
//   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /tmp/dnnl_resconv_postops
#include <dnnl.hpp>
#include <chrono>
#include <cstdio>
#include <vector>
#include <cstring>
#include <algorithm>
#include <random>
using namespace dnnl; using dt = memory::data_type; using tag = memory::format_tag;
static double now(){return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();}
int main(){
  engine eng(engine::kind::cpu,0); stream s(eng);
  struct Sh{int c,h,w;}; 
  for (Sh sh : {Sh{32,192,320}, Sh{64,96,160}, Sh{192,12,20}}) {
  int C=sh.c,H=sh.h,W=sh.w;
  memory::desc src({1,C,H,W},dt::f32,tag::nhwc), dst({1,C,H,W},dt::f32,tag::nhwc), wei({C,C,3,3},dt::f32,tag::any), bia({C},dt::f32,tag::a);
  memory::desc beta({1,C,1,1},dt::f32,tag::nhwc), res({1,C,H,W},dt::f32,tag::nhwc);
  auto d=convolution_forward::desc(prop_kind::forward_inference,algorithm::convolution_direct,src,wei,bia,dst,{1,1},{1,1},{1,1});
  primitive_attr plain; 
  post_ops po; po.append_binary(algorithm::binary_mul,beta); po.append_binary(algorithm::binary_add,res); po.append_eltwise(1,algorithm::eltwise_relu,0.2f,0);
  primitive_attr fusedAttr; fusedAttr.set_post_ops(po);
  auto pd1=convolution_forward::primitive_desc(d,plain,eng), pd2=convolution_forward::primitive_desc(d,fusedAttr,eng);
  printf("C=%d plain %s fused %s\n", C, pd1.impl_info_str(), pd2.impl_info_str());
  std::mt19937 g(1); std::uniform_real_distribution<float> u(-1,1);
  std::vector<float> x(C*H*W), w(C*C*9), b(C), be(C), out1(C*H*W), out2(C*H*W);
  for(auto&v:x)v=u(g); for(auto&v:w)v=u(g)*0.1f; for(auto&v:b)v=u(g); for(auto&v:be)v=u(g);
  memory mx(src,eng,x.data()), mb(bia,eng,b.data()), mbe(beta,eng,be.data()), mo1(dst,eng,out1.data()), mo2(dst,eng,out2.data());
  memory mwu({{C,C,3,3},dt::f32,tag::oihw},eng,w.data());
  memory mw1(pd1.weights_desc(),eng), mw2(pd2.weights_desc(),eng);
  reorder(mwu,mw1).execute(s,mwu,mw1); reorder(mwu,mw2).execute(s,mwu,mw2); s.wait();
  convolution_forward c1(pd1), c2(pd2);
  auto run1=[&]{ c1.execute(s,{{DNNL_ARG_SRC,mx},{DNNL_ARG_WEIGHTS,mw1},{DNNL_ARG_BIAS,mb},{DNNL_ARG_DST,mo1}}); s.wait();
     int n=H*W; for(int p=0;p<n;p++) for(int c=0;c<C;c++){ float v=out1[p*C+c]*be[c]+x[p*C+c]; out1[p*C+c]= v>0?v:v*0.2f; } };
  auto run0=[&]{ c1.execute(s,{{DNNL_ARG_SRC,mx},{DNNL_ARG_WEIGHTS,mw1},{DNNL_ARG_BIAS,mb},{DNNL_ARG_DST,mo1}}); s.wait(); };
  auto run2=[&]{ c2.execute(s,{{DNNL_ARG_SRC,mx},{DNNL_ARG_WEIGHTS,mw2},{DNNL_ARG_BIAS,mb},{DNNL_ARG_DST,mo2},
     {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0)|DNNL_ARG_SRC_1,mbe},{DNNL_ARG_ATTR_MULTIPLE_POST_OP(1)|DNNL_ARG_SRC_1,mx}}); s.wait(); };
  run1(); run2();
  double md=0; long diff=0; for(size_t i=0;i<out1.size();i++){ double d=fabs(out1[i]-out2[i]); md=std::max(md,d); if(out1[i]!=out2[i]) diff++; }
  printf("  max|d| %g, differing %ld of %zu\n", md, diff, out1.size());
  std::vector<double> t1,t2; int it=std::max(3,(int)(2e8/(2.0*H*W*C*C*9)));
  for(int r=0;r<9;r++){ double a=now(); for(int i=0;i<it;i++) run0(); t1.push_back((now()-a)/it); a=now(); for(int i=0;i<it;i++) run2(); t2.push_back((now()-a)/it); }
  std::sort(t1.begin(),t1.end()); std::sort(t2.begin(),t2.end());
  printf("  conv alone (brgconv) %.3f ms, fused %.3f ms\n", t1[4]*1e3, t2[4]*1e3);
  }
}
