// CallWatch: ends the daemon's long waits for calls that no longer need
// them. gRPC tells a synchronous handler neither that its client has gone
// nor that the server is stopping, so a handler waiting for a process's
// exit (up to a day) held its thread after its client gave up, and held
// the daemon's stop (gRPC's shutdown waits for every handler) for as long.
// A handler that waits registers its context and a CallCanceller for the
// length of the wait (Scope); one thread looks at the registered calls
// every kPoll and cancels the wait of each whose client has gone, and
// Stop cancels every wait, now and later.
//
// Thread safety: thread-safe.
#ifndef RUNSC_RUNSC_CALL_WATCH_H_
#define RUNSC_RUNSC_CALL_WATCH_H_

#include <stdint.h>

#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "sandbox/control_client.h"

namespace runsc::cli {

class CallWatch final {
 public:
  static constexpr absl::Duration kPoll = absl::Milliseconds(50);

  CallWatch() = default;
  ~CallWatch();
  CallWatch(const CallWatch&) = delete;
  CallWatch& operator=(const CallWatch&) = delete;

  // Watches `context`'s call, cancelling `cancel` when its client goes,
  // until the scope ends. Both must outlive the scope. A null `context`:
  // only the daemon's stop cancels.
  class Scope final {
   public:
    Scope(CallWatch* watch, grpc::ServerContext* context, sandbox::CallCanceller* cancel);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CallWatch* const watch_;
    const uint64_t id_;
  };

  // Cancels every wait under watch, and every one that registers later.
  void Stop();
  bool stopping() const;

 private:
  struct Call {
    grpc::ServerContext* context;
    sandbox::CallCanceller* cancel;
  };
  uint64_t Add(grpc::ServerContext* context, sandbox::CallCanceller* cancel);
  void Remove(uint64_t id);
  void Loop();

  mutable absl::Mutex mu_;
  std::map<uint64_t, Call> calls_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);  // started by the first call watched
};

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_CALL_WATCH_H_
