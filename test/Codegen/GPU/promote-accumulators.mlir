// RUN: trm-opt %s --split-input-file --trm-gpu-promote-accumulators | FileCheck %s

// The matmul accumulator C[i, j] is loaded once, carried, stored once.
// CHECK-LABEL: func @matmul_row
// CHECK: %[[INIT:.*]] = memref.load %arg2[%arg3, %arg4]
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK-NOT: memref.load %arg2
// CHECK: arith.addf %[[ACC]]
// CHECK-NOT: memref.store
// CHECK: scf.yield
// CHECK: memref.store %[[SUM]], %arg2[%arg3, %arg4]
func.func @matmul_row(%a: memref<4x8xf32>, %b: memref<8x4xf32>, %c: memref<4x4xf32>, %i: index, %j: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i, %k] : memref<4x8xf32>
    %y = memref.load %b[%k, %j] : memref<8x4xf32>
    %acc = memref.load %c[%i, %j] : memref<4x4xf32>
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    memref.store %s, %c[%i, %j] : memref<4x4xf32>
  }
  return
}

// -----

// The loop also reads another element of the output: left alone.
// CHECK-LABEL: func @other_access
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK: memref.store
func.func @other_access(%c: memref<4xf32>, %i: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %k = %c0 to %c4 step %c1 {
    %acc = memref.load %c[%i] : memref<4xf32>
    %o = memref.load %c[%k] : memref<4xf32>
    %s = arith.addf %acc, %o : f32
    memref.store %s, %c[%i] : memref<4xf32>
  }
  return
}
