// Encoders selectable by name: build the relational network model (network_model.cpp), then
// lower it for the chosen encoding -- `bigm` (Tjeng big-M, McCormick masks; bigm.cpp) or `smt`
// (relations kept for Z3; cardinality optionally as a sorting network) -- and write it in a
// format. Bounds come from the BoundEngine (ibp | crown | alpha), one ablation axis.
#include <fstream>

#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

const char* to_string(Encoding e) { return e == Encoding::bigm ? "bigm" : "smt"; }
const char* to_string(BoundSource b) {
  switch (b) {
    case BoundSource::none: return "none";
    case BoundSource::ibp: return "ibp";
    case BoundSource::crown: return "crown";
    case BoundSource::alpha: return "alpha";
    case BoundSource::lp: return "lp";
    case BoundSource::milp: return "milp";
  }
  return "?";
}
const char* to_string(MaskEncoding m) { return m == MaskEncoding::pb ? "pb" : "sortnet"; }
const char* to_string(PropertyMode p) { return p == PropertyMode::disjunction ? "disjunction" : "per-class"; }
const char* to_string(Goal g) { return g == Goal::decide ? "decide" : "optimize"; }
const char* to_string(Format f) {
  switch (f) {
    case Format::smt2: return "smt2";
    case Format::mps: return "mps";
    case Format::lp: return "lp";
  }
  return "?";
}

namespace {

template <class E>
E parse_named(const std::string& text, const char* option, std::initializer_list<E> values) {
  std::string valid;
  for (E v : values) {
    if (text == to_string(v)) return v;
    valid += (valid.empty() ? "" : ", ") + std::string(to_string(v));
  }
  throw util::InputError(option, "", "'" + text + "' is not one of " + valid);
}

}  // namespace

Encoding parse_encoding(const std::string& t) {
  return parse_named(t, "--encoding", {Encoding::bigm, Encoding::smt});
}
BoundSource parse_bound_source(const std::string& t) {
  return parse_named(t, "--encoding-bounds",
                     {BoundSource::none, BoundSource::ibp, BoundSource::crown, BoundSource::alpha, BoundSource::lp, BoundSource::milp});
}
MaskEncoding parse_mask_encoding(const std::string& t) {
  return parse_named(t, "--mask-encoding", {MaskEncoding::pb, MaskEncoding::sortnet});
}
PropertyMode parse_property_mode(const std::string& t) {
  return parse_named(t, "--property-mode", {PropertyMode::disjunction, PropertyMode::per_class});
}
Goal parse_goal(const std::string& t) { return parse_named(t, "--goal", {Goal::decide, Goal::optimize}); }
Format parse_format(const std::string& t) { return parse_named(t, "--format", {Format::smt2, Format::mps, Format::lp}); }

Format format_from_path(const std::string& path) {
  auto ends = [&](const std::string& s) { return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0; };
  if (ends(".smt2")) return Format::smt2;
  if (ends(".mps")) return Format::mps;
  if (ends(".lp")) return Format::lp;
  throw util::InputError(path, "", "unknown model format: use a .smt2, .mps or .lp file name, or --format");
}

int num_cases(const spec::Problem& problem, const EncodeOptions& options) {
  return options.property_mode == PropertyMode::per_class ? static_cast<int>(problem.property.disjuncts.size()) : 1;
}

Model encode(const spec::Problem& problem, const EncodeOptions& options, const std::vector<bounds::LayerBounds>& pre,
             int index) {
  const std::vector<bounds::LayerBounds>* bounds = options.bounds == BoundSource::none ? nullptr : &pre;
  if (options.encoding == Encoding::bigm && !bounds)
    throw util::InputError("--encoding-bounds", "", "bigm needs pre-activation bounds: use ibp, crown, alpha or lp");
  if (index < 0 || index >= num_cases(problem, options)) throw util::InternalError("encode: case index out of range");
  const int disjunct = options.property_mode == PropertyMode::per_class ? index : -1;
  Model m = build_network_model(problem, bounds, options.goal, disjunct, options.unsafe_shift, options.decide_objective);
  m.comments.push_back(std::string("prunecert encoding ") + to_string(options.encoding) + ", bounds " +
                       to_string(options.bounds) + ", mask-encoding " + to_string(options.mask_encoding) +
                       ", property-mode " + to_string(options.property_mode) + ", goal " + to_string(options.goal) +
                       (options.goal == Goal::decide && options.decide_objective ? " (minimise the margin, any solution answers)" : ""));
  m.comments.push_back("problem " + m.name + (disjunct >= 0 ? ", disjunct " + std::to_string(disjunct) : ""));
  if (options.mask_encoding == MaskEncoding::sortnet) lower_cardinality_sortnet(m);
  if (options.encoding == Encoding::bigm) lower_bigm(m);
  return m;
}

std::vector<bounds::LayerBounds> encoding_bounds(const spec::Problem& problem, const EncodeOptions& options) {
  if (options.bounds == BoundSource::none) return {};
  if (options.bounds == BoundSource::milp)
    throw util::InputError("--encoding-bounds", "", "milp bounds are computed by CBC: use solvers::encoding_bounds");
  bounds::BoundOptions bo;
  bo.method = options.bounds == BoundSource::ibp     ? bounds::Method::ibp
              : options.bounds == BoundSource::alpha ? bounds::Method::alpha
                                                     : bounds::Method::crown;
  bo.alpha_iters = options.alpha_iters;
  bo.alpha_lr = options.alpha_lr;
  std::vector<bounds::LayerBounds> pre = bounds::bound_root(problem, bo).pre;
  if (options.known) {
    if (options.known->size() != pre.size()) throw util::InternalError("encoding_bounds: known bounds of another network");
    for (size_t k = 0; k < pre.size(); ++k) {
      pre[k].lo = pre[k].lo.cwiseMax((*options.known)[k].lo);
      pre[k].hi = pre[k].hi.cwiseMin((*options.known)[k].hi);
      if ((pre[k].lo.array() > pre[k].hi.array()).any())
        throw util::InternalError("encoding_bounds: known bounds disjoint from the computed ones at layer " + std::to_string(k));
    }
  }
  if (options.bounds == BoundSource::lp) tighten_with_lp(problem, pre, options.lp_time_limit_s);
  return pre;
}

Model encode(const spec::Problem& problem, const EncodeOptions& options, int index) {
  return encode(problem, options, encoding_bounds(problem, options), index);
}

std::vector<Model> encode_cases(const spec::Problem& problem, const EncodeOptions& options) {
  const auto pre = encoding_bounds(problem, options);  // one bound computation for every case
  std::vector<Model> out;
  for (int i = 0; i < num_cases(problem, options); ++i) out.push_back(encode(problem, options, pre, i));
  return out;
}

std::string to_text(const Model& model, Format format) {
  switch (format) {
    case Format::smt2: return smtlib_text(model);
    case Format::mps: return mps_text(model);
    case Format::lp: return lp_text(model);
  }
  return "";
}

void write_model(const Model& model, Format format, const std::string& path) {
  const std::string text = to_text(model, format);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw util::InputError(path, "", "cannot open the file for writing");
  out << text;
  if (!out.flush()) throw util::InputError(path, "", "cannot write the file");
}

}  // namespace encodings
