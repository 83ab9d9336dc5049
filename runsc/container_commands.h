// The runc-style container commands that inspect or end a container,
// without a daemon: they use the sandbox library directly on the state root
// (--root), the same records a daemon on that root uses, so both see and
// manage the same sandboxes. (create, start, run and exec are in
// process_commands.h; events, pause, resume and update in cgroup_commands.h.)
//
//   spec      write a config.json (what `runc spec` writes) in the bundle
//   kill      signal the main process (or --all)
//   delete    remove a stopped sandbox (--force: a running one)
//   state     the OCI state JSON
//   list      table or JSON of the sandboxes
//   ps        the container's processes (--format json: host pids)
//   wait      wait for the main process; prints {"id":...,"exitStatus":N}
//   features  what this runtime supports, as runc's features JSON
#ifndef RUNSC_RUNSC_CONTAINER_COMMANDS_H_
#define RUNSC_RUNSC_CONTAINER_COMMANDS_H_

namespace runsc::cli {

int SpecCommand(int argc, char** argv);
int KillCommand(int argc, char** argv);
int DeleteCommand(int argc, char** argv);
int StateCommand(int argc, char** argv);
int ListCommand(int argc, char** argv);
int PsCommand(int argc, char** argv);
int WaitCommand(int argc, char** argv);
int FeaturesCommand(int argc, char** argv);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_CONTAINER_COMMANDS_H_
