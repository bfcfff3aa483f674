// Readers and writers of network files. The public header of net/ for file formats.
// Every reader throws util::InputError (file, place, problem) on bad input and never crashes.
#pragma once
#include <string>

#include "src/net/network.h"

namespace net {

// ONNX (onnx_reader.cpp / onnx_writer.cpp).
Network read_onnx(const std::string& path);
Network read_onnx_bytes(const std::string& bytes, const std::string& source_name);
void write_onnx(const Network& network, const std::string& path);

// NNet (nnet_reader.cpp / nnet_writer.cpp): input normalisation folded into the first layer, so
// the network takes raw inputs (as the NNet format's reference evaluator does); outputs are left
// as the network computes them, i.e. normalised (as Marabou and the VNN-COMP ONNX files have
// them). Marabou's own properties and the VNN-COMP ACAS Xu ones state normalised inputs: with
// those, use the ONNX files. The file's input minimums and maximums are not applied (the
// reference evaluator clamps to them): a property box outside them verifies the network itself.
struct NNetInfo {
  std::vector<double> input_min, input_max;  // ranges stored in the file (raw inputs)
  std::vector<double> means, ranges;         // normalisation: (x - mean) / range, last entry for outputs
};
Network read_nnet(const std::string& path, NNetInfo* info = nullptr);
Network read_nnet_text(const std::string& text, const std::string& source_name, NNetInfo* info = nullptr);
void write_nnet(const Network& network, const std::string& path);

// By extension (.onnx or .nnet); anything else is an InputError.
Network read_network(const std::string& path);
void write_network(const Network& network, const std::string& path);

}  // namespace net
