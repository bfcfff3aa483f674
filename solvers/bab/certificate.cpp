// BaB certificates: the proven leaves of a search written as a binary tree of splits (JSON, see
// certificate.h), read back, checked for coverage (every split node has both children) and
// re-proved leaf by leaf in exact arithmetic (check_exact.cpp), on all cores.
#include "solvers/bab/certificate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

#include "solvers/bab/check_exact.h"
#include "src/util/errors.h"

namespace bab {

namespace {

using nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

// JSON has no infinity: infinite bounds (infeasible leaves) are written as null.
json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

bool is_first_child(DecisionKind k) {
  return k == DecisionKind::input_below || k == DecisionKind::relu_inactive || k == DecisionKind::neuron_pruned;
}

json split_of(const Decision& d) {
  switch (d.kind) {
    case DecisionKind::input_below:
    case DecisionKind::input_above: return json::array({"input", d.index, d.at});
    case DecisionKind::relu_active:
    case DecisionKind::relu_inactive: return json::array({"relu", d.layer, d.index});
    case DecisionKind::neuron_kept:
    case DecisionKind::neuron_pruned: return json::array({"mask", d.layer, d.index});
  }
  return nullptr;
}

json leaf_json(const ProvenLeaf& leaf) {
  json mult = json::array();
  for (const auto& m : leaf.multipliers) mult.push_back(m);
  return {{"leaf", leaf.proof == LeafProof::bound ? "bound" : "linear_region"},
          {"method", bounds::to_string(leaf.method)},
          {"infeasible", leaf.infeasible},
          {"margin_lower", number(leaf.margin_lower)},
          {"multipliers", mult}};
}

// The subtree of the leaves idx[begin, end) that share their first `depth` decisions.
json build(const std::vector<ProvenLeaf>& leaves, std::vector<size_t>& idx, size_t begin, size_t end, size_t depth) {
  if (begin == end) return nullptr;  // a hole: the checker rejects it
  if (end - begin == 1 && leaves[idx[begin]].decisions.size() == depth) return leaf_json(leaves[idx[begin]]);
  for (size_t t = begin; t < end; ++t)
    if (leaves[idx[t]].decisions.size() <= depth)
      throw util::InternalError("bab certificate: a proven leaf lies above another leaf");
  const Decision& d = leaves[idx[begin]].decisions[depth];
  const auto mid = std::stable_partition(idx.begin() + static_cast<std::ptrdiff_t>(begin),
                                         idx.begin() + static_cast<std::ptrdiff_t>(end),
                                         [&](size_t i) { return is_first_child(leaves[i].decisions[depth].kind); });
  const size_t m = static_cast<size_t>(mid - idx.begin());
  for (size_t t = begin; t < end; ++t) {
    const Decision& o = leaves[idx[t]].decisions[depth];
    if (split_of(o) != split_of(d)) throw util::InternalError("bab certificate: siblings split on different decisions");
  }
  return {{"split", split_of(d)},
          {"children", json::array({build(leaves, idx, begin, m, depth + 1), build(leaves, idx, m, end, depth + 1)})}};
}

// A certificate's tree, flattened: every leaf with its decisions (depth-first, first child
// first). Structural problems (a missing child, an unknown split) become `error`.
struct FlatLeaf {
  std::vector<Decision> decisions;
  exact::LeafClaim claim;
  std::string path;  // e.g. "root/input 0 <= 0.5/relu 1 3 active"
};

std::string describe(const Decision& d) {
  char buf[96];
  switch (d.kind) {
    case DecisionKind::input_below: std::snprintf(buf, sizeof buf, "x%d<=%.17g", d.index, d.at); break;
    case DecisionKind::input_above: std::snprintf(buf, sizeof buf, "x%d>=%.17g", d.index, d.at); break;
    case DecisionKind::relu_active: std::snprintf(buf, sizeof buf, "z%d.%d>=0", d.layer, d.index); break;
    case DecisionKind::relu_inactive: std::snprintf(buf, sizeof buf, "z%d.%d<=0", d.layer, d.index); break;
    case DecisionKind::neuron_kept: std::snprintf(buf, sizeof buf, "m%d.%d=1", d.layer, d.index); break;
    case DecisionKind::neuron_pruned: std::snprintf(buf, sizeof buf, "m%d.%d=0", d.layer, d.index); break;
  }
  return buf;
}

std::string path_string(const std::vector<Decision>& ds) {
  std::string s = "root";
  for (const Decision& d : ds) s += "/" + describe(d);
  return s;
}

void flatten(const json& node, std::vector<Decision>& path, std::vector<FlatLeaf>& out, std::string& error) {
  if (!error.empty()) return;
  if (!node.is_object()) {
    error = "no subtree at " + path_string(path) + " (that part of the box is not covered)";
    return;
  }
  if (node.contains("leaf")) {
    FlatLeaf f;
    f.decisions = path;
    const std::string kind = node["leaf"].is_string() ? node["leaf"].get<std::string>() : "";
    if (kind == "bound") f.claim.proof = LeafProof::bound;
    else if (kind == "linear_region") f.claim.proof = LeafProof::linear_region;
    else {
      error = "unknown leaf kind at " + path_string(path);
      return;
    }
    f.claim.infeasible = node.value("infeasible", false);
    if (node.contains("multipliers") && node["multipliers"].is_array())
      for (const json& m : node["multipliers"]) {
        std::vector<double> v;
        for (const json& x : m) v.push_back(x.is_number() ? x.get<double>() : std::numeric_limits<double>::quiet_NaN());
        f.claim.multipliers.push_back(std::move(v));
      }
    out.push_back(std::move(f));
    return;
  }
  const json& split = node.contains("split") ? node["split"] : json();
  const json& children = node.contains("children") ? node["children"] : json();
  if (!split.is_array() || split.size() < 3 || !split[0].is_string() || !children.is_array() || children.size() != 2) {
    error = "malformed node at " + path_string(path) + " (a split needs [kind, a, b] and two children)";
    return;
  }
  const std::string kind = split[0].get<std::string>();
  if (!split[1].is_number_integer() || !split[2].is_number()) {
    error = "malformed split at " + path_string(path);
    return;
  }
  Decision first, second;
  if (kind == "input") {
    const int i = split[1].get<int>();
    const double at = split[2].get<double>();
    first = {DecisionKind::input_below, -1, i, at};
    second = {DecisionKind::input_above, -1, i, at};
  } else if (kind == "relu" || kind == "mask") {
    if (!split[2].is_number_integer()) {
      error = "malformed split at " + path_string(path);
      return;
    }
    const int layer = split[1].get<int>(), index = split[2].get<int>();
    const bool relu = kind == "relu";
    first = {relu ? DecisionKind::relu_inactive : DecisionKind::neuron_pruned, layer, index, 0};
    second = {relu ? DecisionKind::relu_active : DecisionKind::neuron_kept, layer, index, 0};
  } else {
    error = "unknown split kind '" + kind + "' at " + path_string(path);
    return;
  }
  for (int c = 0; c < 2; ++c) {
    path.push_back(c == 0 ? first : second);
    flatten(children[c], path, out, error);
    path.pop_back();
  }
}

}  // namespace

const char* to_string(CheckResult::Status s) {
  switch (s) {
    case CheckResult::Status::valid: return "valid";
    case CheckResult::Status::invalid: return "invalid";
    case CheckResult::Status::timeout: return "timeout";
  }
  return "?";
}

json tree_to_json(const BabTree& tree) {
  std::vector<size_t> idx(tree.leaves.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  return {{"complete", tree.complete}, {"root", build(tree.leaves, idx, 0, idx.size(), 0)}};
}

json certificate_json(const std::vector<BabTree>& cases) {
  json j = {{"format", "prunecert-bab-certificate"}, {"version", 1}, {"cases", json::array()}};
  for (const BabTree& t : cases) j["cases"].push_back(tree_to_json(t));
  return j;
}

void write_certificate(const std::string& path, const std::vector<BabTree>& cases) {
  write_certificate(path, certificate_json(cases));
}

void write_certificate(const std::string& path, const json& certificate) {
  std::ofstream out(path);
  if (!out) throw util::InputError(path, "", "cannot write the certificate");
  out << certificate.dump() << "\n";
  if (!out) throw util::InputError(path, "", "cannot write the certificate");
}

json read_certificate(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw util::InputError(path, "", "cannot open the certificate");
  try {
    json j = json::parse(in);
    if (!j.is_object() || j.value("format", "") != "prunecert-bab-certificate")
      throw util::InputError(path, "", "not a prunecert BaB certificate (no \"format\": \"prunecert-bab-certificate\")");
    return j;
  } catch (const json::parse_error& e) {
    throw util::InputError(path, "byte " + std::to_string(e.byte), "not JSON");
  }
}

CheckResult check_tree_exact(const spec::Problem& problem, const json& tree, const CheckOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CheckResult res;
  if (!tree.is_object() || !tree.value("complete", false)) {
    res.reason = "the tree is not marked complete (not an unsat proof)";
    return res;
  }
  std::vector<FlatLeaf> leaves;
  std::vector<Decision> path;
  std::string error;
  flatten(tree.contains("root") ? tree["root"] : json(), path, leaves, error);
  if (!error.empty()) {
    res.reason = error;
    return res;
  }
  const exact::ExactNet net = exact::make_exact_net(*problem.net);
  std::vector<exact::LeafOutcome> outcomes(leaves.size());
  std::vector<uint8_t> done(leaves.size(), 0);
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false}, timed_out{false};
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min<int>(threads, static_cast<int>(leaves.size())));
  auto worker = [&] {
    for (;;) {
      if (stop.load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= leaves.size()) return;
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > options.timeout_s) {
        timed_out = true;
        stop = true;
        return;
      }
      outcomes[i] = exact::prove_leaf(net, problem, leaves[i].decisions, leaves[i].claim);
      done[i] = 1;
      if (!outcomes[i].proven) stop = true;  // leaves below i are all taken already
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  res.min_margin = kInf;
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (!done[i]) {
      res.status = CheckResult::Status::timeout;
      res.reason = "stopped after " + std::to_string(res.leaves) + " of " + std::to_string(leaves.size()) +
                   " leaves (--timeout)";
      return res;
    }
    if (!outcomes[i].proven) {
      res.failed_leaf = static_cast<int64_t>(i);
      res.reason = "leaf " + std::to_string(i) + " at " + path_string(leaves[i].decisions) + ": " + outcomes[i].reason;
      return res;
    }
    ++res.leaves;
    if (!outcomes[i].infeasible) res.min_margin = std::min(res.min_margin, outcomes[i].margin_lower);
  }
  (void)timed_out;
  res.status = CheckResult::Status::valid;
  return res;
}

std::string problem_digest(const spec::Problem& p) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a offset basis
  auto bytes = [&](const void* data, size_t n) {
    const auto* b = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  auto number = [&](double v) {
    if (v == 0.0) v = 0.0;  // -0 and +0 are the same problem
    bytes(&v, sizeof v);
  };
  auto count = [&](int64_t n) { bytes(&n, sizeof n); };
  count(static_cast<int64_t>(p.net->layers.size()));
  for (const auto& L : p.net->layers) {
    count(L.W.rows());
    count(L.W.cols());
    for (Eigen::Index i = 0; i < L.W.size(); ++i) number(L.W.data()[i]);
    for (Eigen::Index i = 0; i < L.b.size(); ++i) number(L.b[i]);
  }
  count(p.box.dim());
  for (int i = 0; i < p.box.dim(); ++i) {
    number(p.box.lo[i]);
    number(p.box.hi[i]);
  }
  count(static_cast<int64_t>(p.property.disjuncts.size()));
  for (const auto& d : p.property.disjuncts) {
    count(static_cast<int64_t>(d.rows.size()));
    for (const auto& r : d.rows) {
      count(r.c.size());
      for (Eigen::Index i = 0; i < r.c.size(); ++i) number(r.c[i]);
      number(r.d);
    }
  }
  count(p.budget ? static_cast<int64_t>(p.budget->s.size()) : -1);
  if (p.budget)
    for (int v : p.budget->s) count(v);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

CheckResult check_certificate_exact(const std::vector<spec::Problem>& cases, const json& certificate,
                                    const CheckOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CheckResult total;
  total.min_margin = kInf;
  if (!certificate.is_object() || certificate.value("version", 0) != 1 || !certificate.contains("cases") ||
      !certificate["cases"].is_array()) {
    total.reason = "not a version-1 certificate with a \"cases\" array";
    return total;
  }
  const json& trees = certificate["cases"];
  if (trees.size() != cases.size()) {
    total.reason = "the certificate has " + std::to_string(trees.size()) + " case(s), the spec " +
                   std::to_string(cases.size());
    return total;
  }
  for (size_t c = 0; c < cases.size(); ++c) {
    if (trees[c].is_object() && trees[c].contains("problem") &&
        (!trees[c]["problem"].is_string() || trees[c]["problem"].get<std::string>() != problem_digest(cases[c]))) {
      total.reason = "case " + std::to_string(c) +
                     ": the certificate was written for another problem (the network, box, property or pruning "
                     "budget that check's options give differ from the run's)";
      return total;
    }
    CheckOptions o = options;
    o.timeout_s = options.timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CheckResult r = check_tree_exact(cases[c], trees[c], o);
    total.leaves += r.leaves;
    if (r.status != CheckResult::Status::valid) {
      r.leaves = total.leaves;
      r.reason = "case " + std::to_string(c) + ": " + r.reason;
      return r;
    }
    total.min_margin = std::min(total.min_margin, r.min_margin);
  }
  total.status = CheckResult::Status::valid;
  return total;
}

}  // namespace bab
