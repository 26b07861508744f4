// RUN: trm-opt %s --split-input-file --trm-gpu-fuse-parallel-loops | FileCheck %s

// The epilogue reads the matmul's result at the same index and a state
// picked by arith.select between two other allocations: they cannot alias
// the buffers the matmul touches, so the two loops fuse (upstream's
// scf-parallel-loop-fusion keeps them apart: it cannot see through the
// select).
// CHECK-LABEL: func @epilogue
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: memref.store
// CHECK: arith.addf
// CHECK: scf.reduce
// CHECK-NOT: scf.parallel
func.func @epilogue(%pick: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8x8xf32>
  %w = memref.alloc() : memref<8x8xf32>
  %t = memref.alloc() : memref<8x8xf32>
  %y = memref.alloc() : memref<8x8xf32>
  %z = memref.alloc() : memref<8x8xf32>
  %o = memref.alloc() : memref<8x8xf32>
  %h = arith.select %pick, %y, %z : memref<8x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<8x8xf32>
      %v = memref.load %w[%k, %j] : memref<8x8xf32>
      %p = arith.mulf %x, %v : f32
      %q = arith.addf %acc, %p : f32
      scf.yield %q : f32
    }
    memref.store %s, %t[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %x = memref.load %h[%i, %j] : memref<8x8xf32>
    %v = memref.load %t[%i, %j] : memref<8x8xf32>
    %r = arith.addf %x, %v : f32
    memref.store %r, %o[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  return
}

// -----

// The select may pick the buffer the matmul reads (%a): the epilogue writes
// through it, so the loops stay apart.
// CHECK-LABEL: func @may_alias
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @may_alias(%pick: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8x8xf32>
  %w = memref.alloc() : memref<8x8xf32>
  %t = memref.alloc() : memref<8x8xf32>
  %z = memref.alloc() : memref<8x8xf32>
  %o = arith.select %pick, %a, %z : memref<8x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<8x8xf32>
      %v = memref.load %w[%k, %j] : memref<8x8xf32>
      %p = arith.mulf %x, %v : f32
      %q = arith.addf %acc, %p : f32
      scf.yield %q : f32
    }
    memref.store %s, %t[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %v = memref.load %t[%i, %j] : memref<8x8xf32>
    memref.store %v, %o[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  return
}
