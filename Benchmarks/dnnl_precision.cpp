// oneDNN f32 vs bf16 convolutions on RIFE v4.25's 720p layer shapes (issue 7, "--precision bf16").
//
// For each shape it compiles five variants (f32; f32 with fpmath_mode=bf16; bf16 source and weights
// with an f32 or a bf16 destination, channels-last; bf16 with layouts of oneDNN's choice), prints the
// kernel oneDNN picked, then times them alternating round by round (median and min of N rounds, each
// round ≥ 2 GFLOP of work). LeakyReLU is fused as in Tween. Results: BENCHMARKS.md.
//
//   g++ -O2 -std=c++17 Benchmarks/dnnl_precision.cpp -o /tmp/dnnl_precision -ldnnl
//   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /tmp/dnnl_precision 9
#include <dnnl.hpp>
#include <chrono>
#include <cstdio>
#include <vector>
#include <algorithm>
#include <string>
#include <cstring>
#include <array>
#include <unordered_map>
using namespace dnnl;
using dt = memory::data_type; using tag = memory::format_tag;
struct Shape { const char* name; int ic, oc, ih, iw, k, s, pt, pl, pb, pr; int count; };
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
struct Variant { const char* name; dt src, wei, dst; tag stag; bool fpmath; };
int main(int argc, char** argv) {
  engine eng(engine::kind::cpu, 0); stream strm(eng);
  // count = how many times the layer occurs in one 720p pair (ResConvs x8, phases x4, Head x2)
  std::vector<Shape> shapes = {
    {"head.cnn0 3->16 s2 @1280x768", 3,16,768,1280,3,2,1,1,1,1, 2},
    {"head.cnn1 16->16 @640x384",16,16,384,640,3,1,1,1,1,1, 4},
    {"head.cnn3 phase 16->4 2x2 @640x384",16,4,384,640,2,1,1,1,0,0, 8},
    {"b4.conv0.0 28->16 s2 @1280x768",28,16,768,1280,3,2,1,1,1,1, 1},
    {"b4.conv0.1 16->32 s2 @640x384",16,32,384,640,3,2,1,1,1,1, 1},
    {"b4.resconv 32 @320x192",32,32,192,320,3,1,1,1,1,1, 8},
    {"b4.phase 32->52 2x2 @320x192",32,52,192,320,2,1,1,1,0,0, 4},
    {"b3.conv0.0 28->32 s2 @640x384",28,32,384,640,3,2,1,1,1,1, 1},
    {"b3.resconv 64 @160x96",64,64,96,160,3,1,1,1,1,1, 8},
    {"b3.phase 64->52 2x2 @160x96",64,52,96,160,2,1,1,1,0,0, 4},
    {"b2.resconv 96 @80x48",96,96,48,80,3,1,1,1,1,1, 8},
    {"b1.resconv 128 @40x24",128,128,24,40,3,1,1,1,1,1, 8},
    {"b0.resconv 192 @20x12",192,192,12,20,3,1,1,1,1,1, 8},
  };
  std::vector<Variant> variants = {
    {"f32", dt::f32, dt::f32, dt::f32, tag::nhwc, false},
    {"f32 fpmath=bf16", dt::f32, dt::f32, dt::f32, tag::nhwc, true},
    {"bf16 src/wei, f32 dst", dt::bf16, dt::bf16, dt::f32, tag::nhwc, false},
    {"bf16 src/wei/dst", dt::bf16, dt::bf16, dt::bf16, tag::nhwc, false},
    {"bf16 all, any layout", dt::bf16, dt::bf16, dt::bf16, tag::any, false},
  };
  int rounds = argc > 1 ? atoi(argv[1]) : 7;
  for (auto& sh : shapes) {
    int oh = (sh.ih + sh.pt + sh.pb - sh.k) / sh.s + 1, ow = (sh.iw + sh.pl + sh.pr - sh.k) / sh.s + 1;
    double flops = 2.0 * oh * ow * sh.oc * sh.ic * sh.k * sh.k;
    int iters = std::max(3, (int)(2e9 / flops));
    struct P { primitive p; std::unordered_map<int, memory> args; std::string impl; std::string fmt; };
    std::vector<P> ps;
    for (auto& v : variants) {
      memory::desc src({1, sh.ic, sh.ih, sh.iw}, v.src, v.stag), dst({1, sh.oc, oh, ow}, v.dst, v.stag);
      memory::desc wei({sh.oc, sh.ic, sh.k, sh.k}, v.wei, tag::any), bias({sh.oc}, dt::f32, tag::a);
      auto d = convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct, src, wei, bias, dst,
                                         {sh.s, sh.s}, {sh.pt, sh.pl}, {sh.pb, sh.pr});
      primitive_attr attr;
      if (v.fpmath) attr.set_fpmath_mode(fpmath_mode::bf16);
      post_ops po; po.append_eltwise(1, algorithm::eltwise_relu, 0.2f, 0); attr.set_post_ops(po);
      auto pd = convolution_forward::primitive_desc(d, attr, eng);
      memory ms(pd.src_desc(), eng), mw(pd.weights_desc(), eng), mb(bias, eng), md(pd.dst_desc(), eng);
      // Any finite, non-denormal values do: the kernels' speed does not depend on them.
      memset(ms.get_data_handle(), 0x3c, pd.src_desc().get_size()); memset(mw.get_data_handle(), 0x3c, pd.weights_desc().get_size());
      memset(mb.get_data_handle(), 0, sh.oc * 4);
      std::string fmt = (pd.src_desc() == memory::desc({1, sh.ic, sh.ih, sh.iw}, v.src, tag::nhwc)) ? "nhwc" : "blocked";
      ps.push_back({convolution_forward(pd), {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}}, pd.impl_info_str(), fmt});
    }
    std::vector<std::vector<double>> t(variants.size());
    for (auto& p : ps) { p.p.execute(strm, p.args); } strm.wait();
    for (int r = 0; r < rounds; ++r)
      for (size_t i = 0; i < ps.size(); ++i) {
        double t0 = now();
        for (int it = 0; it < iters; ++it) ps[i].p.execute(strm, ps[i].args);
        strm.wait();
        t[i].push_back((now() - t0) / iters);
      }
    printf("%s  (%.3f GFLOP, x%d per pair)\n", sh.name, flops / 1e9, sh.count);
    double base = 0;
    for (size_t i = 0; i < ps.size(); ++i) {
      std::sort(t[i].begin(), t[i].end()); double m = t[i][t[i].size() / 2]; double mn = t[i][0];
      if (i == 0) base = m;
      printf("  %-24s %-28s src:%-7s median %7.3f ms %6.1f GFLOP/s x%.2f | min %7.3f ms %6.1f GFLOP/s\n", variants[i].name, ps[i].impl.c_str(), ps[i].fmt.c_str(), m * 1e3, flops / m / 1e9, base / m, mn * 1e3, flops / mn / 1e9);
    }
  }
  // What converting an f32 channels-last activation to bf16 costs as a separate oneDNN reorder.
  for (auto sz : std::vector<std::array<int,3>>{{32,192,320},{28,768,1280},{64,96,160}}) {
    memory::desc a({1, sz[0], sz[1], sz[2]}, dt::f32, tag::nhwc), b({1, sz[0], sz[1], sz[2]}, dt::bf16, tag::nhwc);
    memory ma(a, eng), mb(b, eng); memset(ma.get_data_handle(), 0, a.get_size());
    auto r = reorder(ma, mb); r.execute(strm, ma, mb); strm.wait();
    std::vector<double> ts; for (int k = 0; k < 7; ++k) { double t0 = now(); for (int i = 0; i < 20; ++i) r.execute(strm, ma, mb); strm.wait(); ts.push_back((now()-t0)/20); }
    std::sort(ts.begin(), ts.end());
    printf("reorder f32->bf16 nhwc %dx%dx%d: %.3f ms\n", sz[0], sz[1], sz[2], ts[3] * 1e3);
  }
  printf("effective ISA: 0x%x\n", (unsigned)dnnl_get_effective_cpu_isa());
}
