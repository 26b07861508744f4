// RUN: trm-opt %s --split-input-file --trm-hoist-loop-invariants=keep-bytes=1024 | FileCheck %s
// RUN: trm-opt %s --split-input-file --trm-hoist-loop-invariants | FileCheck %s --check-prefix=ALL

// A large buffer that the loop fills anew each iteration (through a fill)
// stays in the loop with its fill; a small one and the destination of an
// invariant transpose leave it. keep-bytes 0 hoists all of them.
// CHECK-LABEL: func.func @per_iteration
// CHECK: tensor.empty() : tensor<16x16xf32>
// CHECK: linalg.transpose
// CHECK: tensor.empty() : tensor<2x2xf32>
// CHECK: scf.for
// CHECK: tensor.empty() : tensor<16x32xf32>
// CHECK: linalg.fill
// CHECK: linalg.matmul
// ALL-LABEL: func.func @per_iteration
// ALL: tensor.empty() : tensor<16x32xf32>
// ALL: linalg.fill
// ALL: scf.for
// ALL-NOT: tensor.empty
// ALL: linalg.matmul
func.func @per_iteration(%w: tensor<16x16xf32>, %x0: tensor<16x16xf32>, %b: tensor<16x32xf32>) -> (tensor<16x32xf32>, tensor<2x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %r:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%x = %x0, %s = %b) -> (tensor<16x16xf32>, tensor<16x32xf32>) {
    %te = tensor.empty() : tensor<16x16xf32>
    %wt = linalg.transpose ins(%w : tensor<16x16xf32>) outs(%te : tensor<16x16xf32>) permutation = [1, 0]
    %small = tensor.empty() : tensor<2x2xf32>
    %e = tensor.empty() : tensor<16x32xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
    %m = linalg.matmul ins(%x, %s : tensor<16x16xf32>, tensor<16x32xf32>) outs(%f : tensor<16x32xf32>) -> tensor<16x32xf32>
    %x2 = linalg.matmul ins(%x, %wt : tensor<16x16xf32>, tensor<16x16xf32>) outs(%x : tensor<16x16xf32>) -> tensor<16x16xf32>
    scf.yield %x2, %m : tensor<16x16xf32>, tensor<16x32xf32>
  }
  %small = tensor.empty() : tensor<2x2xf32>
  return %r#1, %small : tensor<16x32xf32>, tensor<2x2xf32>
}
