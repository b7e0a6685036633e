"""goro_cc_test: a cc_test with goro's test helpers and gtest_main."""

def goro_cc_test(name, srcs, deps = [], **kwargs):
    """A GoogleTest test of goro.

    Adds //tests:test_util, //:goro and gtest_main, and compiles
    tsan_suppressions.cc into the test executable itself: TSan looks
    __tsan_default_suppressions up in the executable, so a definition in a
    (fastbuild, dynamically linked) library would be ignored.
    """
    native.cc_test(
        name = name,
        srcs = srcs + ["tsan_suppressions.cc"],
        deps = deps + [
            ":test_util",
            "//:goro",
            "@com_google_googletest//:gtest_main",
        ],
        **kwargs
    )
