// RUN: trm-opt %s --trm-gpu-unroll-jam-register-tiles --cse | FileCheck %s

// Four rows per invocation: one k loop with four accumulators and one load
// of the shared B element per step.
// CHECK-LABEL: func @rows
// CHECK-NOT: trm.register_tile
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, f32, f32, f32)
// CHECK-COUNT-1: memref.load %arg1
// CHECK-COUNT-4: arith.addf
// CHECK: scf.yield
// CHECK-COUNT-4: memref.store
func.func @rows(%a: memref<8x64xf32>, %b: memref<64x4xf32>, %c: memref<8x4xf32>, %j: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.for %r = %c0 to %c4 step %c1 {
    %init = memref.load %c[%r, %j] : memref<8x4xf32>
    %s = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %init) -> (f32) {
      %x = memref.load %a[%r, %k] : memref<8x64xf32>
      %y = memref.load %b[%k, %j] : memref<64x4xf32>
      %p = arith.mulf %x, %y : f32
      %n = arith.addf %acc, %p : f32
      scf.yield %n : f32
    }
    memref.store %s, %c[%r, %j] : memref<8x4xf32>
  } {trm.register_tile}
  return
}
