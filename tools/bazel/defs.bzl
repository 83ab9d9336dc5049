"""The one place that sets compiler options for runsc's C++ targets."""

RUNSC_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Werror=return-type",
    "-Werror=unused-result",
    "-fno-omit-frame-pointer",
]

def runsc_cc_library(name, deps = [], copts = [], **kwargs):
    native.cc_library(
        name = name,
        copts = RUNSC_COPTS + copts,
        deps = deps + ["//tools/deps:system"],
        **kwargs
    )

def runsc_cc_test(name, deps = [], copts = [], **kwargs):
    native.cc_test(
        name = name,
        copts = RUNSC_COPTS + copts,
        deps = deps + [
            "//tools/deps:gtest_main",
            "//tools/deps:system",
        ],
        **kwargs
    )

def runsc_cc_binary(name, deps = [], copts = [], linkopts = [], static = False, **kwargs):
    """A runsc binary; static=True links it fully statically (no /lib needed)."""
    native.cc_binary(
        name = name,
        copts = RUNSC_COPTS + copts,
        linkopts = linkopts + (["-static"] if static else []),
        deps = deps + ["//tools/deps:system"],
        **kwargs
    )
