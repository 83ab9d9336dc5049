// The runc-style commands that start processes: create and start (runc's
// split), run (both at once), and exec into a running container.
#ifndef RUNSC_RUNSC_PROCESS_COMMANDS_H_
#define RUNSC_RUNSC_PROCESS_COMMANDS_H_

namespace runsc::cli {

int CreateCommand(int argc, char** argv);
int StartCommand(int argc, char** argv);
int RunCommand(int argc, char** argv);
int ExecCommand(int argc, char** argv);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_PROCESS_COMMANDS_H_
