// The runc-style commands that work on a container's cgroup: events
// (usage and OOM kills), pause and resume (the freezer), and update (the
// limits).
#ifndef RUNSC_RUNSC_CGROUP_COMMANDS_H_
#define RUNSC_RUNSC_CGROUP_COMMANDS_H_

namespace runsc::cli {

int EventsCommand(int argc, char** argv);
int PauseCommand(int argc, char** argv);
int ResumeCommand(int argc, char** argv);
int UpdateCommand(int argc, char** argv);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_CGROUP_COMMANDS_H_
