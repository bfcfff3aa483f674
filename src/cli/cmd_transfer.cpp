// prunecert transfer: a robustness certificate for f on B_eps(x0) obtained on the activation-
// preserving substitute g by Lemma 1 (seed 000): prints delta, V_g(eps) per competing class, the
// Lipschitz upper bounds L_f and L_g of the margin functions and the test that was applied.
#include <cmath>
#include <cstdio>

#include "src/cli/cli.h"
#include "src/substitute/substitute.h"
#include "src/util/errors.h"

namespace cli {

int run_transfer(const util::Options& o) {
  net::Network network = load_network(o);
  auto f = std::make_shared<const net::LayeredNetwork>(network.layered());
  const substitute::Anchor a = read_anchor(o, *f);
  if (!(o.eps > 0)) throw util::InputError("--eps", "", "transfer needs a radius > 0");
  substitute::TransferOptions t;
  t.delta0 = o.delta;
  t.gamma = o.gamma;
  t.method = bounds::parse_method(o.bound_method);
  t.rel_tol = o.tol;
  t.bab = distance_options(o).bab;  // a quarter of --timeout per competing class
  t.timeout_s = o.timeout;           // and --timeout for the whole transfer
  t.lipschitz_f_only = o.lipschitz_f_only;
  const substitute::TransferResult r = substitute::transfer(f, a, o.eps, t);
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  if (o.json) {
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& c : r.classes)
      classes.push_back({{"class", c.cls},
                         {"lipschitz_f", c.lipschitz_f},
                         {"lipschitz_g", c.lipschitz_g},
                         {"threshold", c.threshold},
                         {"checked", c.checked},
                         {"verdict", c.checked ? spec::to_string(c.verdict) : "skipped"},
                         {"v_g_lower", num(c.v_g_lower)},
                         {"v_g_upper", num(c.v_g_upper)}});
    print_json({{"file", o.net},
                {"label", a.label},
                {"certified", r.certified},
                {"eps", r.eps},
                {"delta0", r.delta0},
                {"delta", r.delta},
                {"v_g", num(r.v_g)},
                {"lipschitz_f", r.lipschitz_f},
                {"lipschitz_g", r.lipschitz_g},
                {"slack", r.slack},
                {"output_error", r.prune.output_error},
                {"lipschitz_form", o.lipschitz_f_only ? "f-only" : "f+g"},
                {"neurons_f", r.prune.neurons_before},
                {"neurons_g", r.prune.neurons_after},
                {"nonlinear_g", r.prune.nonlinear_after},
                {"classes", classes},
                {"reason", r.reason},
                {"time_g_s", r.time_g_s},
                {"time_s", r.time_s}});
    return 0;
  }
  std::printf("%s\n", r.certified ? "certified" : "not certified");
  std::printf("eps        %.9g\n", r.eps);
  std::printf("delta0     %.9g (neurons stable on B_delta0 removed: %d -> %d ReLUs, %d may change phase)\n", r.delta0,
              r.prune.neurons_before, r.prune.neurons_after, r.prune.nonlinear_after);
  std::printf("delta      %.9g (largest radius found, bisecting, where the bounds prove that every removed neuron "
              "keeps its phase: g = f on B_delta, up to g's folding error %.3g)\n",
              r.delta, r.prune.output_error);
  std::printf("L_f        %.9g (max over classes of the margin's L-inf Lipschitz bound on B_eps)\n", r.lipschitz_f);
  std::printf("L_g        %.9g\n", r.lipschitz_g);
  std::printf("V_g(eps)   >= %.9g (certified lower bound, min over the classes checked)\n", r.v_g);
  std::printf("slack      %.3g (floating-point allowance for g's folded maps)\n", r.slack);
  std::printf("class  L_f          L_g          needed %-28s V_g lower    V_g upper    result\n",
              o.lipschitz_f_only ? "L_f(eps-delta)+slack" : "(L_f+L_g)(eps-delta)+slack");
  for (const auto& c : r.classes)
    std::printf("%-5d  %-11.6g  %-11.6g  %-35.9g  %-11.6g  %-11.6g  %s\n", c.cls, c.lipschitz_f, c.lipschitz_g,
                c.threshold, c.v_g_lower, c.v_g_upper,
                !c.checked ? "skipped" : c.verdict == spec::Verdict::unsat ? "V_g > needed" : spec::to_string(c.verdict));
  std::printf("reason     %s\n", r.reason.c_str());
  std::printf("time       %.3f s (complete engine on g: %.3f s)\n", r.time_s, r.time_g_s);
  return 0;
}

}  // namespace cli
