// RUN: trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-fold-fill-copies))' | FileCheck %s

// A buffer only ever filled with zero: copying it is filling the target.
// CHECK-LABEL: func @zero_init
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[Z:.*]] : memref<4x8xf32>)
// CHECK: scf.for
// CHECK-NOT: linalg.copy
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg0 : memref<4x8xf32>)
func.func @zero_init(%acc: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<4x8xf32>)
  scf.for %i = %c0 to %c3 step %c1 {
    linalg.copy ins(%z : memref<4x8xf32>) outs(%acc : memref<4x8xf32>)
  }
  memref.dealloc %z : memref<4x8xf32>
  return
}

// -----

// The source is also written by a generic: the copy stays.
// CHECK-LABEL: func @written_twice
// CHECK: linalg.copy
func.func @written_twice(%acc: memref<4xf32>, %x: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%z : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.copy ins(%z : memref<4xf32>) outs(%acc : memref<4xf32>)
  return
}
