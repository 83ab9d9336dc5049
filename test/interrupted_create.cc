// A create cut short, as by a daemon's death: `interrupted_create STATE_ROOT
// ID BUNDLE` creates sandbox ID from BUNDLE with Sandbox::Create, naming
// itself as the runsc binary. As the sandbox (`boot`, and the launcher's
// `boot --launcher`) it never reports ready, so the create waits until the
// test kills this process. Static: the sandbox's root has no /lib.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "absl/time/time.h"
#include "sandbox/bundle.h"
#include "sandbox/sandbox.h"

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "boot") == 0) {
    for (;;) pause();
  }
  if (argc != 4) {
    fprintf(stderr, "usage: %s STATE_ROOT ID BUNDLE\n", argv[0]);
    return 2;
  }
  runsc::sandbox::SandboxOptions options;
  options.state_root = argv[1];
  options.id = argv[2];
  auto container = runsc::sandbox::LoadBundle(argv[3]);
  if (!container.ok()) {
    fprintf(stderr, "%s\n", std::string(container.status().message()).c_str());
    return 1;
  }
  options.container = *container;
  options.boot_timeout = absl::Minutes(10);
  auto box = runsc::sandbox::Sandbox::Create(options);
  fprintf(stderr, "create returned: %s\n",
          box.ok() ? "ok" : std::string(box.status().message()).c_str());
  return 1;
}
