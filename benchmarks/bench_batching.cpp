// Batched bounding vs single calls (issue 3): time to bound N subdomains of a network in one
// BoundEngine call against N calls of one subdomain each, same subdomains, same run.
// usage: bench_batching [net.onnx] [spec.vnnlib] [N] [method] [reuse|noreuse] [batch-only]
#include <chrono>
#include <cstdio>
#include <random>

#include "benchmarks/subdomain_sampler.h"
#include "src/bounds/bound_engine.h"
#include "src/net/io.h"
#include "src/spec/vnnlib.h"

int main(int argc, char** argv) {
  const std::string shared = PRUNECERT_SHARED_DIR;
  const std::string net_path = argc > 1 && *argv[1] ? argv[1] : shared + "/benchmarks/vnncomp2021/mnistfc/mnist-net_256x2.onnx";
  const std::string spec_path = argc > 2 && *argv[2] ? argv[2] : shared + "/benchmarks/vnncomp2021/mnistfc/prop_0_0.03.vnnlib";
  const int N = argc > 3 ? std::atoi(argv[3]) : 1024;
  const bounds::Method method = bounds::parse_method(argc > 4 ? argv[4] : "crown");
  auto net = std::make_shared<const net::LayeredNetwork>(net::read_network(net_path).layered());
  spec::Spec s = spec::read_vnnlib(spec_path);
  spec::Problem p;
  p.net = net;
  p.box = s.cases[0].box;
  p.property = s.cases[0].property;
  // N subdomains: random sub-boxes (half width) with 20% of first-layer phases fixed to those
  // of a point inside, as a ReLU-splitting BaB would produce.
  const bool reuse = argc > 5 && std::string(argv[5]) == "reuse";
  auto engine = bounds::make_cpu_engine();
  bounds::BoundOptions o;
  o.method = method;
  // With "reuse", every subdomain carries the root's intermediate bounds (as BaB passes a
  // parent's), so only the property rows are back-substituted per subdomain.
  const std::vector<bounds::Subdomain> subs = bench_util::sample_subdomains(p, N, reuse, 1, o);
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto t0 = now();
  auto batched = engine->bound(p, subs, o);
  const double t_batch = std::chrono::duration<double>(now() - t0).count();
  if (argc > 6 && std::string(argv[6]) == "batch-only") {
    std::printf("one batched call : %.3f s (%.0f subdomains/s)\n", t_batch, N / t_batch);
    return 0;
  }
  t0 = now();
  // The batched bound may be tighter (CROWN is run for the union of the batch's unstable
  // neurons, and the tighter of IBP and CROWN is kept), never looser.
  double max_tighter = 0, max_looser = 0;
  for (int t = 0; t < N; ++t) {
    auto single = engine->bound(p, {subs[t]}, o)[0];
    if (single.infeasible || batched[t].infeasible) continue;
    max_tighter = std::max(max_tighter, batched[t].margin_lower - single.margin_lower);
    max_looser = std::max(max_looser, single.margin_lower - batched[t].margin_lower);
  }
  const double t_single = std::chrono::duration<double>(now() - t0).count();
  std::printf("network %s\nmethod %s, %d subdomains%s\n", net_path.c_str(), bounds::to_string(method), N,
              reuse ? ", intermediate bounds reused from the root" : "");
  std::printf("one batched call : %.3f s (%.0f subdomains/s)\n", t_batch, N / t_batch);
  std::printf("%d single calls : %.3f s (%.0f subdomains/s)\n", N, t_single, N / t_single);
  std::printf("speed-up        : %.2fx\n", t_single / t_batch);
  std::printf("batched bound tighter by up to %.3g, looser by up to %.3g\n", max_tighter, max_looser);
  return 0;
}
