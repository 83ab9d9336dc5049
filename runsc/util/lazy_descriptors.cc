#include "runsc/util/lazy_descriptors.h"

#include <atomic>
#include <mutex>

namespace google::protobuf {
class DescriptorPool;
class DescriptorDatabase;
}  // namespace google::protobuf

// Protobuf's own (mangled) names for the functions the linker wraps
// (-Wl,--wrap, in this target's linkopts). __real_ is protobuf's own.
#define RUNSC_PB_ADD _ZN6google8protobuf14DescriptorPool24InternalAddGeneratedFileEPKvi
#define RUNSC_PB_POOL _ZN6google8protobuf14DescriptorPool14generated_poolEv
#define RUNSC_PB_INTERNAL_POOL _ZN6google8protobuf14DescriptorPool23internal_generated_poolEv
#define RUNSC_PB_DATABASE _ZN6google8protobuf14DescriptorPool27internal_generated_databaseEv
#define RUNSC_CAT(a, b) a##b
#define RUNSC_REAL(name) RUNSC_CAT(__real_, name)
#define RUNSC_WRAP(name) RUNSC_CAT(__wrap_, name)

extern "C" {
void RUNSC_REAL(RUNSC_PB_ADD)(const void* encoded, int size);
const google::protobuf::DescriptorPool* RUNSC_REAL(RUNSC_PB_POOL)();
google::protobuf::DescriptorPool* RUNSC_REAL(RUNSC_PB_INTERNAL_POOL)();
google::protobuf::DescriptorDatabase* RUNSC_REAL(RUNSC_PB_DATABASE)();
}

namespace runsc::util {
namespace {

struct HeldFile {
  const void* encoded;
  int size;
};

// Zero-initialised before any static initialiser runs, so registrations from
// any translation unit's initialiser land here safely. Registrations are made
// during static initialisation, on one thread; later ones (there are none in
// a static binary) go straight to protobuf. The binary links eleven generated
// files; past the capacity, files are registered at once.
constexpr int kMaxHeld = 256;
HeldFile g_held[kMaxHeld];
int g_held_count;
std::atomic<bool> g_released;
std::once_flag g_release_once;

void ReleaseHeld() {
  std::call_once(g_release_once, [] {
    for (int i = 0; i < g_held_count; ++i) {
      RUNSC_REAL(RUNSC_PB_ADD)(g_held[i].encoded, g_held[i].size);
    }
    g_held_count = 0;
    g_released.store(true, std::memory_order_release);
  });
}

}  // namespace

void RegisterHeldDescriptors() { ReleaseHeld(); }

int HeldDescriptorCount() {
  // Read only once the release (if any) is complete, or before any thread.
  return g_released.load(std::memory_order_acquire) ? 0 : g_held_count;
}

}  // namespace runsc::util

extern "C" {

void RUNSC_WRAP(RUNSC_PB_ADD)(const void* encoded, int size) {
  using runsc::util::g_held_count;
  if (runsc::util::g_released.load(std::memory_order_acquire) ||
      g_held_count == runsc::util::kMaxHeld) {
    RUNSC_REAL(RUNSC_PB_ADD)(encoded, size);
    return;
  }
  runsc::util::g_held[g_held_count++] = {encoded, size};
}

const google::protobuf::DescriptorPool* RUNSC_WRAP(RUNSC_PB_POOL)() {
  runsc::util::ReleaseHeld();
  return RUNSC_REAL(RUNSC_PB_POOL)();
}

google::protobuf::DescriptorPool* RUNSC_WRAP(RUNSC_PB_INTERNAL_POOL)() {
  runsc::util::ReleaseHeld();
  return RUNSC_REAL(RUNSC_PB_INTERNAL_POOL)();
}

google::protobuf::DescriptorDatabase* RUNSC_WRAP(RUNSC_PB_DATABASE)() {
  runsc::util::ReleaseHeld();
  return RUNSC_REAL(RUNSC_PB_DATABASE)();
}

}  // extern "C"
