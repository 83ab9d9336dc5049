// `runsc do [--socket PATH] [--timeout S] -- CMD [ARGS...]`: runs one command
// in a fresh sandbox from the host template, through the daemon, and deletes
// the sandbox. Stdin is passed in, stdout and stderr come back, and the exit
// code is the command's (128+signal when it was killed).
#ifndef RUNSC_RUNSC_DO_COMMAND_H_
#define RUNSC_RUNSC_DO_COMMAND_H_

namespace runsc::cli {

int DoCommand(int argc, char** argv);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_DO_COMMAND_H_
