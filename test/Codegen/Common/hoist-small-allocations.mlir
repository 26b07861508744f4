// RUN: trm-opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline='builtin.module(func.func(trm-hoist-small-allocations{keep-bytes=1024}))' | FileCheck %s

// A small buffer leaves both sequential loops; a large one (256 floats)
// stays; nothing leaves a parallel loop.
// CHECK-LABEL: func.func @nest
// CHECK: %[[SMALL:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.alloc() : memref<16x16xf32>
// CHECK: scf.forall
// CHECK-NEXT: memref.alloc() : memref<2xf32>
func.func @nest(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %small = memref.alloc() : memref<4xf32>
      %large = memref.alloc() : memref<16x16xf32>
      "test.use"(%small, %large) : (memref<4xf32>, memref<16x16xf32>) -> ()
      memref.dealloc %large : memref<16x16xf32>
      memref.dealloc %small : memref<4xf32>
    }
  }
  scf.forall (%t) in (2) {
    %own = memref.alloc() : memref<2xf32>
    "test.use"(%own) : (memref<2xf32>) -> ()
    memref.dealloc %own : memref<2xf32>
  }
  return
}
