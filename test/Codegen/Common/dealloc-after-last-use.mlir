// RUN: trm-opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline='builtin.module(func.func(trm-dealloc-after-last-use))' | FileCheck %s

// Each buffer is freed right after the last op that reads it or a view of
// it (a use in a nested loop counts as the loop), not at the end of the
// block, so the next allocation can reuse it.
// CHECK-LABEL: func.func @early
// CHECK: %[[A:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[V:.*]] = memref.subview %[[A]]
// CHECK: scf.for
// CHECK: "test.read"(%[[V]])
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: "test.read"(%[[B]])
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: "test.other"()
// CHECK-NEXT: return
func.func @early(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<8xf32>
  %v = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  scf.for %i = %c0 to %n step %c1 {
    "test.read"(%v) : (memref<4xf32, strided<[1]>>) -> ()
  }
  %b = memref.alloc() : memref<8xf32>
  "test.read"(%b) : (memref<8xf32>) -> ()
  "test.other"() : () -> ()
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}

// -----

// A buffer that may escape (an op that is not a view returns a memref from
// it; a loop yields it) keeps its dealloc.
// CHECK-LABEL: func.func @escapes
// CHECK: "test.other"()
// CHECK-NEXT: memref.dealloc %{{.*}} : memref<8xf32>
// CHECK-NEXT: memref.dealloc %{{.*}} : memref<8xf32>
func.func @escapes(%n: index) {
  %a = memref.alloc() : memref<8xf32>
  %alias = "test.alias"(%a) : (memref<8xf32>) -> memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %b) -> (memref<8xf32>) {
    scf.yield %b : memref<8xf32>
  }
  "test.other"() : () -> ()
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}
