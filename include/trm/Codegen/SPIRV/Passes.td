//===- Passes.td - SPIR-V passes ---------------------------*- tablegen -*-===//
//
// In the order the pipelines run them (lib/Pipelines/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_CODEGEN_SPIRV_PASSES_TD
#define TRM_CODEGEN_SPIRV_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMSPIRVSetEntryPointABI : Pass<"trm-spirv-set-entry-point-abi",
                                  "gpu::GPUModuleOp"> {
  let summary = "Give each kernel its SPIR-V entry-point ABI (workgroup size)";
  let description = [{
    `convert-gpu-to-spirv` needs `spirv.entry_point_abi` on each kernel; the
    workgroup size comes from the `known_block_size` that outlining
    recorded from the launch. A kernel without one is an error.
  }];
  let dependentDialects = ["::mlir::spirv::SPIRVDialect"];
}

def TRMSPIRVNestModules : Pass<"trm-spirv-nest-modules", "ModuleOp"> {
  let summary = "Move each kernel's spirv.module into its gpu.module";
  let description = [{
    `convert-gpu-to-spirv` emits the SPIR-V module `@__spv__<name>` beside
    the gpu.module `@<name>` it came from, while `gpu-module-to-binary`
    serializes the spirv.module found inside a gpu.module. This pass moves
    each one in (the gpu.func stays until the module becomes a binary: the
    host's gpu.launch_func verifies against it).
  }];
}

#endif // TRM_CODEGEN_SPIRV_PASSES_TD
