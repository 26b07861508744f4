// RUN: trm-opt %s --trm-gpu-name-kernels | FileCheck %s

// A launch whose location names a trm op (through a fused location, as CSE
// leaves it) renames its kernel and the launch's reference; one without
// keeps the outliner's name.
// CHECK-LABEL: gpu.module @main_kernel {
// CHECK: gpu.func @trm_attention_l14() kernel
// CHECK-LABEL: gpu.module @main_kernel_0 {
// CHECK: gpu.func @main_kernel() kernel
// CHECK-LABEL: gpu.module @main_kernel_1 {
// CHECK: gpu.func @trm_swiglu() kernel
// CHECK: gpu.launch_func @main_kernel::@trm_attention_l14
// CHECK: gpu.launch_func @main_kernel_0::@main_kernel
// CHECK: gpu.launch_func @main_kernel_1::@trm_swiglu
module attributes {gpu.container_module} {
  gpu.module @main_kernel {
    gpu.func @main_kernel() kernel { gpu.return }
  }
  gpu.module @main_kernel_0 {
    gpu.func @main_kernel() kernel { gpu.return }
  }
  gpu.module @main_kernel_1 {
    gpu.func @main_kernel() kernel { gpu.return }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @main_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) loc(fused["linalg.copy"("m.mlir":14:10), "trm.attention"("m.mlir":14:10)])
    gpu.launch_func @main_kernel_0::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) loc("linalg.copy"("m.mlir":14:10))
    gpu.launch_func @main_kernel_1::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) loc("trm.swiglu")
    return
  }
}
