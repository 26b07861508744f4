# Cross-compiles for 64-bit Arm Linux with clang and Debian's cross libraries
# (libc6-dev-arm64-cross, libstdc++-12-dev-arm64-cross,
# libgcc-12-dev-arm64-cross, under /usr/aarch64-linux-gnu): clang finds them
# from the target triple alone. Used for the runtime and the example
# (runtime/CMakeLists.txt); the binaries run on an aarch64 board, or here
# under `qemu-aarch64 -L /usr/aarch64-linux-gnu`.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TRM_CROSS_TRIPLE aarch64-linux-gnu)

find_program(TRM_CROSS_CLANG NAMES clang-22 clang REQUIRED)
find_program(TRM_CROSS_CLANGXX NAMES clang++-22 clang++ REQUIRED)
set(CMAKE_C_COMPILER ${TRM_CROSS_CLANG})
set(CMAKE_CXX_COMPILER ${TRM_CROSS_CLANGXX})
set(CMAKE_C_COMPILER_TARGET ${TRM_CROSS_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${TRM_CROSS_TRIPLE})
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld")

set(CMAKE_FIND_ROOT_PATH /usr/${TRM_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
