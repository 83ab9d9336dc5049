#include "boot/control_filter.h"

namespace runsc::boot {
namespace {

constexpr unsigned char kControlServerBpf[] = {
#include "boot/control_filter_bpf.inc"
};

}  // namespace

const std::string& ControlServerFilter() {
  static const std::string* const bpf =
      new std::string(reinterpret_cast<const char*>(kControlServerBpf), sizeof(kControlServerBpf));
  return *bpf;
}

}  // namespace runsc::boot
