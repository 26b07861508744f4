# The runtime and examples/run_model cross-built for aarch64-linux-gnu in
# <build>/cross-aarch64 (test/runtime/example-aarch64.test runs them under
# qemu-aarch64). Built with the project when Debian's aarch64 cross
# libraries are installed (scripts/setup.sh installs them); without them the
# test is unsupported. The runtime needs no MLIR or LLVM, so the cross build
# is the runtime's own CMake project with a toolchain file.
include(ExternalProject)

set(TRM_AARCH64_SYSROOT /usr/aarch64-linux-gnu)
if(EXISTS ${TRM_AARCH64_SYSROOT}/include/stdio.h AND
   EXISTS ${TRM_AARCH64_SYSROOT}/lib/libstdc++.so.6)
  set(TRM_AARCH64_DEFAULT ON)
else()
  set(TRM_AARCH64_DEFAULT OFF)
endif()
option(TRM_CROSS_AARCH64
       "cross-build the runtime and the example for aarch64-linux-gnu"
       ${TRM_AARCH64_DEFAULT})

set(TRM_AARCH64_RUNTIME_DIR "")
if(TRM_CROSS_AARCH64)
  set(TRM_AARCH64_RUNTIME_DIR ${CMAKE_BINARY_DIR}/cross-aarch64)
  ExternalProject_Add(trmrt-aarch64
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/runtime
    BINARY_DIR ${TRM_AARCH64_RUNTIME_DIR}
    CMAKE_GENERATOR Ninja
    CMAKE_ARGS
      -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/toolchains/aarch64-linux-gnu.cmake
      -DCMAKE_BUILD_TYPE=Release
      -DCMAKE_C_COMPILER_LAUNCHER=${CCACHE_PROGRAM}
      -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE_PROGRAM}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD ON)
endif()
