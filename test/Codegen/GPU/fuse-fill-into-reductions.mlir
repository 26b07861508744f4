// RUN: trm-opt %s --split-input-file --trm-gpu-fuse-fill-into-reductions | FileCheck %s

// Fill then reduce into the same buffer (seen through a reshape): the
// reduction starts from the fill's value and the fill loop goes.
// CHECK-LABEL: func @fill_then_sum
// CHECK-NOT: memref.store %cst
// CHECK: scf.parallel
// CHECK-NOT: memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<4x2xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %cst)
// CHECK: memref.store
// CHECK-NOT: scf.parallel
func.func @fill_then_sum(%x: memref<4x2x8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %cst, %out[%i] : memref<8xf32>
    scf.reduce
  }
  %o = memref.expand_shape %out [[0, 1]] output_shape [4, 2] : memref<8xf32> into memref<4x2xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c2) step (%c1, %c1) {
    %init = memref.load %o[%i, %j] : memref<4x2xf32>
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %init) -> (f32) {
      %v = memref.load %x[%i, %j, %k] : memref<4x2x8xf32>
      %n = arith.addf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %s, %o[%i, %j] : memref<4x2xf32>
    scf.reduce
  }
  return
}

// -----

// The second loop reads the filled buffer but writes another one: the fill
// is still needed.
// CHECK-LABEL: func @read_only
// CHECK: memref.store %cst
// CHECK: memref.load %arg1
func.func @read_only(%y: memref<8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %cst, %out[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %out[%i] : memref<8xf32>
    memref.store %v, %y[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
