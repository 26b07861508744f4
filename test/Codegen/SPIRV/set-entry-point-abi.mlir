// RUN: trm-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(gpu.module(trm-spirv-set-entry-point-abi))' | FileCheck %s

// CHECK: spirv.entry_point_abi = #spirv.entry_point_abi<workgroup_size = [64, 2, 1]>
gpu.module @kernels {
  gpu.func @k(%m: memref<4xf32>) kernel attributes {known_block_size = array<i32: 64, 2, 1>} {
    gpu.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @+1 {{kernel has no known_block_size}}
  gpu.func @k(%m: memref<4xf32>) kernel {
    gpu.return
  }
}
