#ifndef RUNSC_UTIL_SERVER_PLUGINS_H_
#define RUNSC_UTIL_SERVER_PLUGINS_H_

// gRPC's server-builder plugins, held back until a process asks for them.
//
// A library can register a plugin factory from a static initialiser (gRPC's
// reflection plugin does), and from then on every grpc::ServerBuilder in the
// process builds that plugin in its constructor. Only the daemon serves
// reflection, but runsc is one binary: the sandbox's supervisor built and
// threw away a reflection service for every sandbox (0.7 ms of its start).
//
// This target links with --wrap on ServerBuilder::InternalAddPluginFactory,
// so registrations made before main are recorded here instead. A process
// that wants them (the daemon) calls RegisterHeldServerPlugins() before it
// builds its first server; every other process never sees them.

namespace runsc::util {

// Registers, with gRPC, every plugin factory held back so far, and lets later
// registrations through directly. Call before any thread is started.
void RegisterHeldServerPlugins();

// How many plugin factories are held back (not yet registered).
int HeldServerPluginCount();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_SERVER_PLUGINS_H_
