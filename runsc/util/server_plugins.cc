#include "runsc/util/server_plugins.h"

#include <memory>

#include "grpcpp/impl/server_builder_plugin.h"

namespace runsc::util {
namespace {

using PluginFactory = std::unique_ptr<grpc::ServerBuilderPlugin> (*)();

// Zero-initialised before any static initialiser runs, so registrations from
// any translation unit's initialiser land here safely. Registrations happen
// during static initialisation (one thread) or after RegisterHeldServerPlugins.
constexpr int kMaxHeld = 8;
PluginFactory g_held[kMaxHeld];
int g_held_count;
bool g_released;

}  // namespace
}  // namespace runsc::util

// The linker sends every call to grpc::ServerBuilder::InternalAddPluginFactory
// here (-Wl,--wrap, in this target's linkopts); __real_ is gRPC's own.
extern "C" {
void __real__ZN4grpc13ServerBuilder24InternalAddPluginFactoryEPFSt10unique_ptrINS_19ServerBuilderPluginESt14default_deleteIS2_EEvE(
    runsc::util::PluginFactory factory);

void __wrap__ZN4grpc13ServerBuilder24InternalAddPluginFactoryEPFSt10unique_ptrINS_19ServerBuilderPluginESt14default_deleteIS2_EEvE(
    runsc::util::PluginFactory factory) {
  using runsc::util::g_held;
  using runsc::util::g_held_count;
  if (runsc::util::g_released || g_held_count == runsc::util::kMaxHeld) {
    __real__ZN4grpc13ServerBuilder24InternalAddPluginFactoryEPFSt10unique_ptrINS_19ServerBuilderPluginESt14default_deleteIS2_EEvE(
        factory);
    return;
  }
  g_held[g_held_count++] = factory;
}
}  // extern "C"

namespace runsc::util {

void RegisterHeldServerPlugins() {
  if (g_released) return;
  g_released = true;
  for (int i = 0; i < g_held_count; ++i) {
    __real__ZN4grpc13ServerBuilder24InternalAddPluginFactoryEPFSt10unique_ptrINS_19ServerBuilderPluginESt14default_deleteIS2_EEvE(
        g_held[i]);
  }
  g_held_count = 0;
}

int HeldServerPluginCount() { return g_held_count; }

}  // namespace runsc::util
