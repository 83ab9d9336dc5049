// Stands in for a runsc binary of another build at SandboxOptions::runsc_path:
// as `runsc boot` it reports ready as builds before the boot protocol was
// numbered did ("serving") and then waits to be killed; as the launcher
// (`runsc boot --launcher`) it only waits. The host must refuse it.
#include <string.h>
#include <unistd.h>

#include "runsc/util/boot_fds.h"
#include "runsc/util/sync_message.h"

int main(int argc, char** argv) {
  const bool launcher = argc > 2 && strcmp(argv[2], "--launcher") == 0;
  if (!launcher) {
    runsc::util::WriteSyncMessage(runsc::util::kSyncFd, runsc::util::SyncType::kReady,
                                  runsc::util::SetupStage::kNone, 0, "serving");
  }
  for (;;) pause();
}
