// RUN: trm-opt %s --pass-pipeline="builtin.module(func.func(trm-cpu-tile{threads=1}),canonicalize,cse,func.func(trm-cpu-vectorize),canonicalize,cse,loop-invariant-subset-hoisting,canonicalize,cse)" | FileCheck %s

// What the CPU pipeline relies on for its matmul speed: after tiling and
// vectorization, subset hoisting moves the 8x32 accumulator block out of
// the k loop, which then carries it as a vector (registers) and only reads
// one A column and one B row per step.
// CHECK-LABEL: func @matmul
// CHECK: scf.for %[[N:.*]] = %c0 to %c64 step %c32
// CHECK: scf.for %[[M:.*]] = %c0 to %c16 step %c8
// CHECK: %[[BLOCK:.*]] = tensor.extract_slice %{{.*}}[%[[M]], %[[N]]] [8, 32] [1, 1]
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[BLOCK]]{{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %c24 step %c1 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<8x32xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: vector.contract {{.*}} %[[ACC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: scf.yield %{{.*}} : vector<8x32xf32>
// CHECK: %[[DONE:.*]] = vector.transfer_write %[[SUM]], %[[BLOCK]]
// CHECK: tensor.insert_slice %[[DONE]] into %{{.*}}[%[[M]], %[[N]]] [8, 32] [1, 1]
func.func @matmul(%a: tensor<16x24xf32>, %b: tensor<24x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x24xf32>, tensor<24x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}
