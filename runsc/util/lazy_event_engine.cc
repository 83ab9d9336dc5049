#include "runsc/util/lazy_event_engine.h"

#include <atomic>
#include <utility>

#include "absl/base/call_once.h"

namespace runsc::util {

using grpc_event_engine::experimental::EndpointConfig;
using grpc_event_engine::experimental::EventEngine;
using grpc_event_engine::experimental::MemoryAllocator;
using grpc_event_engine::experimental::MemoryAllocatorFactory;

namespace {

std::atomic<int> g_made{0};
std::atomic<int> g_started{0};

// gRPC's built-in engine. The factory that makes lazy engines is dropped
// first, so CreateEventEngine() falls back to gRPC's own.
std::unique_ptr<EventEngine> CreateBuiltInEngine() {
  static absl::once_flag reset;
  absl::call_once(reset, [] { grpc_event_engine::experimental::EventEngineFactoryReset(); });
  return grpc_event_engine::experimental::CreateEventEngine();
}

}  // namespace

struct LazyEventEngine::State {
  absl::once_flag once;
  std::unique_ptr<EventEngine> engine;
  std::atomic<bool> started{false};
};

LazyEventEngine::LazyEventEngine() : state_(std::make_unique<State>()) {
  g_made.fetch_add(1, std::memory_order_relaxed);
}

LazyEventEngine::~LazyEventEngine() = default;

bool LazyEventEngine::started() const { return state_->started.load(std::memory_order_acquire); }

EventEngine& LazyEventEngine::Engine() {
  absl::call_once(state_->once, [this] {
    state_->engine = CreateBuiltInEngine();
    state_->started.store(true, std::memory_order_release);
    g_started.fetch_add(1, std::memory_order_relaxed);
  });
  return *state_->engine;
}

bool LazyEventEngine::IsWorkerThread() {
  // No thread can be the engine's before the engine exists.
  return started() && state_->engine->IsWorkerThread();
}

absl::StatusOr<std::unique_ptr<EventEngine::Listener>> LazyEventEngine::CreateListener(
    Listener::AcceptCallback on_accept, absl::AnyInvocable<void(absl::Status)> on_shutdown,
    const EndpointConfig& config, std::unique_ptr<MemoryAllocatorFactory> memory_allocator_factory) {
  return Engine().CreateListener(std::move(on_accept), std::move(on_shutdown), config,
                                 std::move(memory_allocator_factory));
}

EventEngine::ConnectionHandle LazyEventEngine::Connect(OnConnectCallback on_connect,
                                                       const ResolvedAddress& addr,
                                                       const EndpointConfig& args,
                                                       MemoryAllocator memory_allocator,
                                                       Duration timeout) {
  return Engine().Connect(std::move(on_connect), addr, args, std::move(memory_allocator), timeout);
}

bool LazyEventEngine::CancelConnect(ConnectionHandle handle) {
  return Engine().CancelConnect(handle);
}

std::unique_ptr<EventEngine::DNSResolver> LazyEventEngine::GetDNSResolver(
    const DNSResolver::ResolverOptions& options) {
  return Engine().GetDNSResolver(options);
}

void LazyEventEngine::Run(Closure* closure) { Engine().Run(closure); }

void LazyEventEngine::Run(absl::AnyInvocable<void()> closure) { Engine().Run(std::move(closure)); }

EventEngine::TaskHandle LazyEventEngine::RunAfter(Duration when, Closure* closure) {
  return Engine().RunAfter(when, closure);
}

EventEngine::TaskHandle LazyEventEngine::RunAfter(Duration when,
                                                  absl::AnyInvocable<void()> closure) {
  return Engine().RunAfter(when, std::move(closure));
}

bool LazyEventEngine::Cancel(TaskHandle handle) { return Engine().Cancel(handle); }

void UseLazyEventEngine() {
  grpc_event_engine::experimental::SetEventEngineFactory(
      [] { return std::make_unique<LazyEventEngine>(); });
}

LazyEventEngineCounts GetLazyEventEngineCounts() {
  return {g_made.load(std::memory_order_relaxed), g_started.load(std::memory_order_relaxed)};
}

}  // namespace runsc::util
