# The sources of TRMImport, kept here once: lib/Import/CMakeLists.txt builds
# the library from them and fuzz/CMakeLists.txt builds them instrumented.
# Absolute paths (from this file's directory), so either can include it.
set(TRM_IMPORT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/AtomicFile.cpp
  ${CMAKE_CURRENT_LIST_DIR}/JsonStructure.cpp
  ${CMAKE_CURRENT_LIST_DIR}/Npy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/Safetensors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/Tensor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/TorchPickle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/TorchZip.cpp
  ${CMAKE_CURRENT_LIST_DIR}/TrainerRun.cpp
  ${CMAKE_CURRENT_LIST_DIR}/WeightImport.cpp
  )
