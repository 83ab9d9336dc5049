#include "runsc/util/lazy_descriptors.h"

#include <atomic>
#include <mutex>

#include "google/protobuf/generated_message_reflection.h"
#include "google/protobuf/message.h"

using google::protobuf::Metadata;
using google::protobuf::internal::DescriptorTable;

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
#define RUNSC_PB_ASSIGN _ZN6google8protobuf8internal17AssignDescriptorsEPKNS1_15DescriptorTableEb
#define RUNSC_PB_ASSIGN_ONCE \
  _ZN6google8protobuf8internal17AssignDescriptorsEPFPKNS1_15DescriptorTableEvEPSt9once_flagRKNS0_8MetadataE
#define RUNSC_CAT(a, b) a##b
#define RUNSC_REAL(name) RUNSC_CAT(__real_, name)
#define RUNSC_WRAP(name) RUNSC_CAT(__wrap_, name)

extern "C" {
void RUNSC_REAL(RUNSC_PB_ADD)(const void* encoded, int size);
const google::protobuf::DescriptorPool* RUNSC_REAL(RUNSC_PB_POOL)();
google::protobuf::DescriptorPool* RUNSC_REAL(RUNSC_PB_INTERNAL_POOL)();
google::protobuf::DescriptorDatabase* RUNSC_REAL(RUNSC_PB_DATABASE)();
void RUNSC_REAL(RUNSC_PB_ASSIGN)(const DescriptorTable* table, bool eager);
Metadata RUNSC_REAL(RUNSC_PB_ASSIGN_ONCE)(const DescriptorTable* (*table)(), std::once_flag* once,
                                          const Metadata& metadata);
}

namespace runsc::util {
namespace {

struct HeldFile {
  const void* encoded;
  int size;
  std::atomic<bool> registered;
};

// Zero-initialised before any static initialiser runs, so registrations from
// any translation unit's initialiser land here safely. Registrations are made
// during static initialisation, on one thread; later ones (there are none in
// a static binary) go straight to protobuf. The binary links eleven generated
// files; past the capacity, files are registered at once.
constexpr int kMaxHeld = 256;
HeldFile g_held[kMaxHeld];
int g_held_count;  // fixed once main runs
std::atomic<int> g_registered_count;
std::atomic<bool> g_released;
// Held while files are registered, and, until every file is, around
// protobuf's descriptor assignment, which reads the database that a
// registration adds to: protobuf makes neither safe beside the other (it
// expects every file registered by static initialisers, before any thread).
// Taken again by a thread that holds it (an assignment assigns its imports
// through the same wrappers): see Locked. A plain mutex, not a recursive
// one, because its constructor is constexpr, as the initialisers above
// need.
std::mutex g_mu;
thread_local int t_locks;  // how many times this thread holds g_mu

class Locked {
 public:
  Locked() {
    if (t_locks++ == 0) g_mu.lock();
  }
  ~Locked() {
    if (--t_locks == 0) g_mu.unlock();
  }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;
};
// Set while this thread is inside protobuf's AssignDescriptors for a file
// whose imports are registered: its own use of the generated pool must not
// register everything.
thread_local int t_assigning;

void RegisterLocked(HeldFile& file) {
  if (file.registered.load(std::memory_order_relaxed)) return;
  RUNSC_REAL(RUNSC_PB_ADD)(file.encoded, file.size);
  file.registered.store(true, std::memory_order_release);
  g_registered_count.fetch_add(1, std::memory_order_relaxed);
}

void ReleaseHeld() {
  if (g_released.load(std::memory_order_acquire)) return;
  Locked lock;
  if (g_released.load(std::memory_order_relaxed)) return;
  for (int i = 0; i < g_held_count; ++i) RegisterLocked(g_held[i]);
  g_released.store(true, std::memory_order_release);
}

HeldFile* Find(const DescriptorTable* table) {
  for (int i = 0; i < g_held_count; ++i) {
    if (g_held[i].encoded == table->descriptor) return &g_held[i];
  }
  return nullptr;  // registered at once (past the capacity)
}

void RegisterTableLocked(const DescriptorTable* table) {
  HeldFile* file = Find(table);
  if (file == nullptr || file->registered.load(std::memory_order_relaxed)) return;
  for (int i = 0; i < table->num_deps; ++i) RegisterTableLocked(table->deps[i]);
  RegisterLocked(*file);
}

// Runs `assign`, protobuf's assignment of `table`'s descriptors, with that
// file and its imports registered, not the others: the first descriptor a
// CLI command uses (its config.json's) then costs the few files it needs
// rather than every file linked into the binary.
template <typename Assign>
auto Assigning(const DescriptorTable* table, Assign assign) {
  struct Mark {
    Mark() { ++t_assigning; }
    ~Mark() { --t_assigning; }
  };
  if (g_released.load(std::memory_order_acquire)) {
    Mark mark;
    return assign();
  }
  Locked lock;
  RegisterTableLocked(table);
  Mark mark;
  return assign();
}

}  // namespace

void RegisterHeldDescriptors() { ReleaseHeld(); }

int HeldDescriptorCount() {
  return g_released.load(std::memory_order_acquire)
             ? 0
             : g_held_count - g_registered_count.load(std::memory_order_acquire);
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
  runsc::util::g_held[g_held_count].encoded = encoded;
  runsc::util::g_held[g_held_count].size = size;
  ++g_held_count;
}

const google::protobuf::DescriptorPool* RUNSC_WRAP(RUNSC_PB_POOL)() {
  if (runsc::util::t_assigning == 0) runsc::util::ReleaseHeld();
  return RUNSC_REAL(RUNSC_PB_POOL)();
}

google::protobuf::DescriptorPool* RUNSC_WRAP(RUNSC_PB_INTERNAL_POOL)() {
  if (runsc::util::t_assigning == 0) runsc::util::ReleaseHeld();
  return RUNSC_REAL(RUNSC_PB_INTERNAL_POOL)();
}

google::protobuf::DescriptorDatabase* RUNSC_WRAP(RUNSC_PB_DATABASE)() {
  if (runsc::util::t_assigning == 0) runsc::util::ReleaseHeld();
  return RUNSC_REAL(RUNSC_PB_DATABASE)();
}

// The generated classes' way to their descriptors (descriptor(),
// GetReflection(), an enum's descriptor): only this file and its imports.
void RUNSC_WRAP(RUNSC_PB_ASSIGN)(const DescriptorTable* table, bool eager) {
  runsc::util::Assigning(table, [&] { RUNSC_REAL(RUNSC_PB_ASSIGN)(table, eager); });
}

Metadata RUNSC_WRAP(RUNSC_PB_ASSIGN_ONCE)(const DescriptorTable* (*table)(), std::once_flag* once,
                                          const Metadata& metadata) {
  return runsc::util::Assigning(
      table(), [&] { return RUNSC_REAL(RUNSC_PB_ASSIGN_ONCE)(table, once, metadata); });
}

}  // extern "C"
