// RUN: trm-opt %s --split-input-file --verify-diagnostics --trm-spirv-nest-modules | FileCheck %s

// CHECK: gpu.module @k
// CHECK-NEXT: spirv.module @__spv__k
// CHECK: gpu.func @f
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @f() kernel {
      gpu.return
    }
  }
  spirv.module @__spv__k Logical GLSL450 {
  }
}

// -----

module attributes {gpu.container_module} {
  // expected-error @+1 {{no gpu.module for this SPIR-V module}}
  spirv.module @__spv__missing Logical GLSL450 {
  }
}
