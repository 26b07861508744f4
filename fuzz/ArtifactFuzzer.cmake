# The artifact harness (fuzz/artifact_fuzzer.cpp) links MLIR, so it is part
# of the project's own build: scripts/sanitize.sh configures build-asan with
# -DTRM_BUILD_FUZZERS=ON and fuzz/run.sh runs it from there. libFuzzer's
# coverage instruments the harness and the code it tests.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TRM_BUILD_FUZZERS needs clang")
endif()
set_source_files_properties(
  ${PROJECT_SOURCE_DIR}/lib/Runtime/ArtifactFile.cpp
  ${PROJECT_SOURCE_DIR}/lib/Runtime/ModelSignature.cpp
  TARGET_DIRECTORY TRMRuntime obj.TRMRuntime
  PROPERTIES COMPILE_OPTIONS "-fsanitize=fuzzer-no-link")
add_executable(fuzz_artifact ${PROJECT_SOURCE_DIR}/fuzz/artifact_fuzzer.cpp)
llvm_update_compile_flags(fuzz_artifact)
target_compile_options(fuzz_artifact PRIVATE -fsanitize=fuzzer-no-link)
target_link_options(fuzz_artifact PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_artifact PRIVATE TRMRuntime MLIRParser
                      MLIRFuncDialect MLIRLLVMDialect)
set_target_properties(fuzz_artifact PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                      ${CMAKE_BINARY_DIR}/fuzz)
