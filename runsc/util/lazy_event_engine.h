#ifndef RUNSC_UTIL_LAZY_EVENT_ENGINE_H_
#define RUNSC_UTIL_LAZY_EVENT_ENGINE_H_

#include <memory>

#include "grpc/event_engine/event_engine.h"

// gRPC's EventEngine, started only when something first uses it.
//
// gRPC 1.51 puts its default EventEngine into the arguments of every server
// and channel it creates, and building that engine starts three threads (a
// two-thread pool and a timer thread): about 1.7 ms of a sandbox
// supervisor's start on a two-core VM. Yet with the iomgr polling engine the
// server and channels over a unix socket never call it; tracing a whole
// sandbox lifetime (create, start, exec, wait, delete) found no call.
//
// A LazyEventEngine forwards every call to gRPC's built-in engine, which it
// creates on the first call (gRPC must be initialised by then, as it is
// whenever gRPC itself calls an engine). Nothing changes for a caller, except that a
// process whose gRPC never needs the engine never starts its threads.

namespace runsc::util {

class LazyEventEngine final : public grpc_event_engine::experimental::EventEngine {
 public:
  LazyEventEngine();
  ~LazyEventEngine() override;

  // Whether the built-in engine has been created (for tests).
  bool started() const;

  bool IsWorkerThread() override;
  absl::StatusOr<std::unique_ptr<Listener>> CreateListener(
      Listener::AcceptCallback on_accept, absl::AnyInvocable<void(absl::Status)> on_shutdown,
      const grpc_event_engine::experimental::EndpointConfig& config,
      std::unique_ptr<grpc_event_engine::experimental::MemoryAllocatorFactory>
          memory_allocator_factory) override;
  ConnectionHandle Connect(OnConnectCallback on_connect, const ResolvedAddress& addr,
                           const grpc_event_engine::experimental::EndpointConfig& args,
                           grpc_event_engine::experimental::MemoryAllocator memory_allocator,
                           Duration timeout) override;
  bool CancelConnect(ConnectionHandle handle) override;
  std::unique_ptr<DNSResolver> GetDNSResolver(const DNSResolver::ResolverOptions& options) override;
  void Run(Closure* closure) override;
  void Run(absl::AnyInvocable<void()> closure) override;
  TaskHandle RunAfter(Duration when, Closure* closure) override;
  TaskHandle RunAfter(Duration when, absl::AnyInvocable<void()> closure) override;
  bool Cancel(TaskHandle handle) override;

 private:
  struct State;
  EventEngine& Engine();

  std::unique_ptr<State> state_;
};

// Makes gRPC hand out LazyEventEngines wherever it would create its default
// engine. Call before gRPC's first server or channel.
void UseLazyEventEngine();

// How many LazyEventEngines this process has made, and how many of those
// have had to start gRPC's built-in engine.
struct LazyEventEngineCounts {
  int made;
  int started;
};
LazyEventEngineCounts GetLazyEventEngineCounts();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_LAZY_EVENT_ENGINE_H_
