# The sources of TRMConfig, kept here once: lib/Config/CMakeLists.txt builds
# the library from them and fuzz/CMakeLists.txt builds them instrumented.
# Absolute paths (from this file's directory), so either can include it.
set(TRM_CONFIG_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/TRMConfig.cpp
  )
