// libFuzzer harness for the NNet reader: every input must be read or rejected with
// util::InputError. Anything else (a crash, another exception, a hang, a leak, undefined
// behaviour) is a bug; a network that is read must also have a usable layered view.
#include <cstdint>
#include <string>

#include "src/net/io.h"
#include "src/util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const net::Network n = net::read_nnet_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    const net::LayeredNetwork l = n.layered();
    l.eval(net::Vector::Zero(l.input_dim()));
  } catch (const util::InputError&) {
  }
  return 0;
}
