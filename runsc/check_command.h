// `runsc check`: boots one sandbox, asks its Control service who it is,
// prints the sandbox process's confinement as the host sees it, then shuts
// the sandbox down and removes every trace of it. A quick end-to-end proof
// that this machine can run sandboxes.
#ifndef RUNSC_RUNSC_CHECK_COMMAND_H_
#define RUNSC_RUNSC_CHECK_COMMAND_H_

namespace runsc::cli {

// argv[0] is "check". Returns the process exit code.
int CheckCommand(int argc, char** argv);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_CHECK_COMMAND_H_
