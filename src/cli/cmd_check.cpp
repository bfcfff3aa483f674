// prunecert check: re-checks a BaB certificate (`verify --engine bab --certificate FILE`) against
// the network and the property (--spec, or --input/--eps/--label/--clip, and --budget for a
// pruning query: the options of the verify run) in exact rational arithmetic
// (solvers/bab/certificate.h): prints `valid`, or `invalid` and the first leaf (or hole in the
// tree) it cannot re-prove. Exit code 0 either way (the verdict is the answer); 2 on unreadable
// input.
#include <chrono>
#include <cstdio>

#include "solvers/bab/certificate.h"
#include "src/cli/cli.h"
#include "src/util/errors.h"

namespace cli {

int run_check(const util::Options& o) {
  if (o.certificate.empty()) throw util::InputError("--certificate", "", "give the certificate file to check");
  net::Network network = load_network(o);
  auto layered = std::make_shared<const net::LayeredNetwork>(network.layered());
  const std::vector<spec::Problem> problems = build_problems(o, layered);
  const nlohmann::json cert = bab::read_certificate(o.certificate);
  bab::CheckOptions co;
  co.timeout_s = o.timeout;
  const auto t0 = std::chrono::steady_clock::now();
  const bab::CheckResult r = bab::check_certificate_exact(problems, cert, co);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    nlohmann::json j = {{"verdict", bab::to_string(r.status)}, {"leaves", r.leaves}, {"time_s", secs}};
    if (r.status == bab::CheckResult::Status::valid) j["min_leaf_margin"] = r.min_margin;
    else j["reason"] = r.reason;
    print_json(j);
    return 0;
  }
  std::printf("%s\n", bab::to_string(r.status));
  std::printf("leaves   %lld re-proved in exact rational arithmetic (GMP)\n", static_cast<long long>(r.leaves));
  if (r.status == bab::CheckResult::Status::valid) std::printf("margin   smallest leaf bound %.9g\n", r.min_margin);
  else std::printf("reason   %s\n", r.reason.c_str());
  std::printf("time     %.3f s\n", secs);
  return 0;
}

}  // namespace cli
