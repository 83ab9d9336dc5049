#ifndef RUNSC_UTIL_LAZY_DESCRIPTORS_H_
#define RUNSC_UTIL_LAZY_DESCRIPTORS_H_

// Protobuf's descriptor registration, held back until a process first asks
// for a descriptor.
//
// Every generated .pb.cc registers its file with protobuf's generated
// descriptor database from a static initialiser, and the database parses the
// whole serialised FileDescriptorProto of each to index its names: about
// 0.9 ms of every exec of runsc, for every .proto linked into the one binary.
// The sandbox's supervisor and launcher, which start at every sandbox
// creation, never look at a descriptor: they only parse and serialise
// messages, which needs no reflection.
//
// A target that depends on this library links with --wrap on
// DescriptorPool::InternalAddGeneratedFile, so registrations made before main
// are recorded here (a pointer and a size each, into the binary's read-only
// data) instead of parsed. --wrap also sends every call that reaches the
// generated pool or database from outside protobuf's descriptor.cc
// (DescriptorPool::generated_pool, internal_generated_pool,
// internal_generated_database: DebugString, JSON utilities, gRPC's
// reflection service) through here first, and the first of them registers
// everything held, once, before it goes on. Inside descriptor.cc the
// generated pool is only reached through a pool pointer that one of those
// calls returned, so no lookup can see the database before it is full.
//
// The generated classes' own way to their descriptors (descriptor(),
// GetReflection(), an enum's descriptor: internal::AssignDescriptors, also
// wrapped) registers only the file and its imports (the DescriptorTable
// lists them), and lets protobuf build that file from the pool without
// registering the rest: a CLI command that reads config.json and writes a
// state record registers three of the eleven files. Protobuf's database is
// not safe to read while another thread adds to it (it expects every file
// registered before any thread starts), so until every file is registered
// an assignment holds the lock that registrations take.

namespace runsc::util {

// Registers every held file with protobuf now, if it has not been already.
// Thread-safe. Not needed for correctness: the first use does it.
void RegisterHeldDescriptors();

// How many generated files are held back (not yet registered).
int HeldDescriptorCount();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_LAZY_DESCRIPTORS_H_
