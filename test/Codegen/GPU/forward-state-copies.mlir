// RUN: trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-gpu-forward-state-copies))' | FileCheck %s

// The last op of a network call writes `out` through a [B*S, D] view; the
// call's result is then copied into z_H or z_L. The writer also stores
// into the selected state buffer, through the same view, and the copies
// are gone. The select and its view go right after the condition, so the
// reduction and its consumer stay adjacent for trm-gpu-fuse-reductions.
// CHECK-LABEL: func @forwarded
// CHECK: %[[COND:.*]] = arith.cmpi
// CHECK-NEXT: %[[STATE:.*]] = arith.select %[[COND]], %[[ZH:.*]], %[[ZL:.*]] : memref<2x4x8xf32>
// CHECK-NEXT: %[[VIEW:.*]] = memref.collapse_shape %[[STATE]] {{\[\[}}0, 1], [2]]
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I:.*]]] : memref<8xf32>
// CHECK: scf.parallel (%[[R:.*]], %[[C:.*]]) =
// CHECK: memref.store %[[Y:.*]], %{{.*}}[%[[R]], %[[C]]] : memref<8x8xf32>
// CHECK-NEXT: memref.store %[[Y]], %[[VIEW]][%[[R]], %[[C]]] : memref<8x8xf32>
// CHECK-NOT: scf.if
func.func @forwarded(%x: memref<8x8xf32>, %step: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %zh = memref.alloc() : memref<2x4x8xf32>
  %zl = memref.alloc() : memref<2x4x8xf32>
  %out = memref.alloc() : memref<2x4x8xf32>
  %ss = memref.alloc() : memref<8xf32>
  %outView = memref.collapse_shape %out [[0, 1], [2]] : memref<2x4x8xf32> into memref<8x8xf32>
  %isH = arith.cmpi eq, %step, %c2 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<8x8xf32>
      %t = arith.addf %acc, %v : f32
      scf.yield %t : f32
    }
    memref.store %s, %ss[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x8xf32>
    %s = memref.load %ss[%i] : memref<8xf32>
    %y = arith.divf %v, %s : f32
    memref.store %y, %outView[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  scf.if %isH {
    scf.parallel (%a, %b, %c) = (%c0, %c0, %c0) to (%c2, %c4, %c8) step (%c1, %c1, %c1) {
      %v = memref.load %out[%a, %b, %c] : memref<2x4x8xf32>
      memref.store %v, %zh[%a, %b, %c] : memref<2x4x8xf32>
      scf.reduce
    }
  } else {
    scf.parallel (%a, %b, %c) = (%c0, %c0, %c0) to (%c2, %c4, %c8) step (%c1, %c1, %c1) {
      %v = memref.load %out[%a, %b, %c] : memref<2x4x8xf32>
      memref.store %v, %zl[%a, %b, %c] : memref<2x4x8xf32>
      scf.reduce
    }
  }
  return
}

// -----

// Left alone: the writer reads z_L (an extra store into it could overwrite
// what another iteration still reads), and a writer that covers only half
// of `out` (the copy would take the other half from older stores).
// CHECK-LABEL: func @left_alone
// CHECK-NOT: arith.select
// CHECK-COUNT-2: scf.if
func.func @left_alone(%x: memref<8x8xf32>, %isH: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zh = memref.alloc() : memref<8x8xf32>
  %zl = memref.alloc() : memref<8x8xf32>
  %out = memref.alloc() : memref<8x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %v = memref.load %zl[%j, %i] : memref<8x8xf32>
    memref.store %v, %out[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  scf.if %isH {
    scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
      %v = memref.load %out[%a, %b] : memref<8x8xf32>
      memref.store %v, %zh[%a, %b] : memref<8x8xf32>
      scf.reduce
    }
  } else {
    scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
      %v = memref.load %out[%a, %b] : memref<8x8xf32>
      memref.store %v, %zl[%a, %b] : memref<8x8xf32>
      scf.reduce
    }
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x8xf32>
    memref.store %v, %out[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  scf.if %isH {
    scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
      %v = memref.load %out[%a, %b] : memref<8x8xf32>
      memref.store %v, %zh[%a, %b] : memref<8x8xf32>
      scf.reduce
    }
  } else {
    scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
      %v = memref.load %out[%a, %b] : memref<8x8xf32>
      memref.store %v, %zl[%a, %b] : memref<8x8xf32>
      scf.reduce
    }
  }
  return
}

// -----

// Left alone: the writer also stores into z_H itself, after `out`; an
// added store would land before that one.
// CHECK-LABEL: func @writes_state
// CHECK-NOT: arith.select
// CHECK: scf.if
func.func @writes_state(%x: memref<8x8xf32>, %isH: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zh = memref.alloc() : memref<8x8xf32>
  %zl = memref.alloc() : memref<8x8xf32>
  %out = memref.alloc() : memref<8x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x8xf32>
    memref.store %v, %out[%i, %j] : memref<8x8xf32>
    memref.store %v, %zh[%j, %i] : memref<8x8xf32>
    scf.reduce
  }
  scf.if %isH {
    scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
      %v = memref.load %out[%a, %b] : memref<8x8xf32>
      memref.store %v, %zh[%a, %b] : memref<8x8xf32>
      scf.reduce
    }
  } else {
    scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
      %v = memref.load %out[%a, %b] : memref<8x8xf32>
      memref.store %v, %zl[%a, %b] : memref<8x8xf32>
      scf.reduce
    }
  }
  return
}
