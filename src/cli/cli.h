// The prunecert command line: subcommands, option parsing from the one options table, and
// output helpers shared by the subcommands. Internal to cli/.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/net/network.h"
#include "src/spec/problem.h"
#include "src/util/options.h"

namespace substitute {
struct Anchor;
struct DistanceOptions;
}  // namespace substitute

namespace cli {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;  // example line shown by --help
  int (*run)(const util::Options& options);
};
const std::vector<Command>& commands();

// Parses argv (after the subcommand) for `command`; returns false when --help was printed.
bool parse_options(const Command& command, int argc, char** argv, util::Options& options);

// Reads whitespace-separated numbers; InputError(path, "number N", ...) on anything else.
Eigen::VectorXd read_vector_file(const std::string& path);
// Loads --net (required).
net::Network load_network(const util::Options& options);
// Problem from --spec (all cases) or from --input/--label/--eps/--clip (one case).
std::vector<spec::Problem> build_problems(const util::Options& options, std::shared_ptr<const net::LayeredNetwork> net);
// The robustness problem of label at x0 on the --eps ball, intersected with --clip.
spec::Problem input_ball_problem(std::shared_ptr<const net::LayeredNetwork> net, const Eigen::VectorXd& x0, int label,
                                 const util::Options& options);
// input_ball_problem for sample `index` of --data, which must lie in its box (the verdict and any
// proof are about the sample's own prediction): util::InputError("--clip", ...) otherwise.
spec::Problem data_sample_problem(std::shared_ptr<const net::LayeredNetwork> net, const Eigen::VectorXd& x, int label,
                                  const util::Options& options, int index);
// "1,2,3" (sep ",").
std::string join(const std::vector<int>& v, const char* sep);

void print_json(const nlohmann::json& j);
nlohmann::json stats_json(const util::Stats& s);
void print_stats(const util::Stats& s);

// Subcommands (one file each).
int run_info(const util::Options& options);
int run_eval(const util::Options& options);
int run_spec(const util::Options& options);
int run_verify(const util::Options& options);
int run_bounds(const util::Options& options);
int run_train(const util::Options& options);
int run_encode(const util::Options& options);
int run_prune_verify(const util::Options& options);
int run_check(const util::Options& options);
int run_bench(const util::Options& options);
// Shared by distance, substitute and transfer (cmd_distance.cpp): x0 from --input, the label
// (--label or the prediction) and --clip; the distance options from the table.
substitute::Anchor read_anchor(const util::Options& options, const net::LayeredNetwork& net);
substitute::DistanceOptions distance_options(const util::Options& options);
int run_distance(const util::Options& options);
int run_substitute(const util::Options& options);
int run_transfer(const util::Options& options);

}  // namespace cli
