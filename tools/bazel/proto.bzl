"""C++ code generation for .proto files with Debian's protoc and grpc_cpp_plugin."""

load("//tools/bazel:defs.bzl", "runsc_cc_library")

def cc_grpc_library(name, src, deps = [], imports = [], grpc = True, **kwargs):
    """Generates and compiles the C++ messages (and services) of one .proto.

    Args:
      name: the cc_library's name.
      src: the .proto file, in this package.
      deps: cc_grpc_library targets of the protos it imports.
      imports: the .proto files it imports (protoc reads them).
      grpc: also generate the gRPC service stubs.
      **kwargs: passed to the cc_library.
    """
    base = src[:-len(".proto")]
    outs = [base + ".pb.h", base + ".pb.cc"]
    cmd = "protoc -I. $(location %s) --cpp_out=$(GENDIR)" % src
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
        cmd += " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin"
    native.genrule(
        name = name + "_gen",
        srcs = [src] + imports,
        outs = outs,
        cmd = cmd,
    )
    runsc_cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps,
        **kwargs
    )
