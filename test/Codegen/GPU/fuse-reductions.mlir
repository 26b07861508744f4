// RUN: trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-gpu-fuse-reductions{workgroup-size=8}),canonicalize,cse)' | FileCheck %s
// RUN: not trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-gpu-fuse-reductions{workgroup-size=6}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: trm-gpu-fuse-reductions: workgroup-size 6 is not a power of two

// Softmax's max and the exp that reads it: one kernel, a workgroup of 8
// per row (400 rows). Each invocation takes every 8th element of its row;
// the 8 shares are combined with maximumf in 3 rounds of halving, each
// ending at a barrier; invocation 0 stores the row's max; the exp uses the
// max from workgroup memory, not the buffer.
// CHECK-LABEL: func @softmax_max
// CHECK: gpu.launch blocks(%[[ROW:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c400, {{.*}} = %c1, {{.*}} = %c1) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c8, {{.*}} = %c1, {{.*}} = %c1)
// CHECK: %[[SHARE:.*]] = scf.for %{{.*}} = %[[TX]] to %c25 step %c8 iter_args
// CHECK: %[[SHARES:.*]] = memref.alloc() : memref<8xf32, #spirv.storage_class<Workgroup>>
// CHECK: memref.store %[[SHARE]], %[[SHARES]][%[[TX]]]
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[TX]], %c4
// CHECK: arith.maximumf {{.*}} {trm.accumulation}
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[TX]], %c2
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, %[[TX]], %c1
// CHECK: gpu.barrier
// CHECK: %[[TOTAL:.*]] = memref.load %[[SHARES]][%c0]
// CHECK: scf.if
// CHECK-NEXT: memref.store %[[TOTAL]], %arg1[%[[ROW]]]
// CHECK: scf.for %[[J:.*]] = %[[TX]] to %c25 step %c8 {
// CHECK-NOT: memref.load %arg1
// CHECK: arith.subf %{{.*}}, %[[TOTAL]]
// CHECK: memref.store %{{.*}}, %arg2[%[[ROW]], %[[J]]]
// CHECK-NOT: scf.parallel
func.func @softmax_max(%x: memref<400x25xf32>, %m: memref<400xf32>, %e: memref<400x25xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c25 = arith.constant 25 : index
  %c400 = arith.constant 400 : index
  %ninf = arith.constant 0xFF800000 : f32
  scf.parallel (%i) = (%c0) to (%c400) step (%c1) {
    %s = scf.for %k = %c0 to %c25 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<400x25xf32>
      %t = arith.maximumf %acc, %v : f32
      scf.yield %t : f32
    }
    memref.store %s, %m[%i] : memref<400xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c400, %c25) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<400x25xf32>
    %s = memref.load %m[%i] : memref<400xf32>
    %d = arith.subf %v, %s : f32
    %o = math.exp %d : f32
    memref.store %o, %e[%i, %j] : memref<400x25xf32>
    scf.reduce
  }
  return
}

// -----

// RMS norm in place: the scaling writes the row it normalizes, through the
// view the sum of squares reads at (row, k). Rows in two dimensions (4x25)
// come from the workgroup id.
// CHECK-LABEL: func @norm_in_place
// CHECK: gpu.launch blocks(%[[ID:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c100
// CHECK-DAG: %[[S:.*]] = arith.remui %[[ID]], %c25
// CHECK-DAG: %[[B:.*]] = arith.divui %[[ID]], %c25
// CHECK: memref.load %arg0[%[[B]], %[[S]], %{{.*}}]
// CHECK: arith.addf
// CHECK: math.rsqrt
// CHECK: memref.store %{{.*}}, %arg0[%[[B]], %[[S]], %{{.*}}]
func.func @norm_in_place(%x: memref<4x25x64xf32>, %ss: memref<4x25xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c25 = arith.constant 25 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  scf.parallel (%b, %s) = (%c0, %c0) to (%c4, %c25) step (%c1, %c1) {
    %sum = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%b, %s, %k] : memref<4x25x64xf32>
      %sq = arith.mulf %v, %v : f32
      %t = arith.addf %acc, %sq : f32
      scf.yield %t : f32
    }
    memref.store %sum, %ss[%b, %s] : memref<4x25xf32>
    scf.reduce
  }
  scf.parallel (%b, %s, %d) = (%c0, %c0, %c0) to (%c4, %c25, %c64) step (%c1, %c1, %c1) {
    %v = memref.load %x[%b, %s, %d] : memref<4x25x64xf32>
    %sum = memref.load %ss[%b, %s] : memref<4x25xf32>
    %m = arith.addf %sum, %eps : f32
    %r = math.rsqrt %m : f32
    %o = arith.mulf %v, %r : f32
    memref.store %o, %x[%b, %s, %d] : memref<4x25x64xf32>
    scf.reduce
  }
  return
}

// -----

// Left alone: a sum that starts from 1 (not its identity: every share
// would add it); a consumer that reads the result of another row; a
// consumer that writes, in place, a column other than its own.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: gpu.launch
// CHECK-COUNT-6: scf.parallel
func.func @left_alone(%x: memref<16x8xf32>, %r: memref<16xf32>, %y: memref<16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %one) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<16x8xf32>
      %t = arith.addf %acc, %v : f32
      scf.yield %t : f32
    }
    memref.store %s, %r[%i] : memref<16xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) {
    %s = memref.load %r[%i] : memref<16xf32>
    memref.store %s, %y[%i, %j] : memref<16x8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<16x8xf32>
      %t = arith.addf %acc, %v : f32
      scf.yield %t : f32
    }
    memref.store %s, %r[%i] : memref<16xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) {
    %s = memref.load %r[%j] : memref<16xf32>
    memref.store %s, %y[%i, %j] : memref<16x8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<16x8xf32>
      %t = arith.addf %acc, %v : f32
      scf.yield %t : f32
    }
    memref.store %s, %r[%i] : memref<16xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) {
    %s = memref.load %r[%i] : memref<16xf32>
    %c7 = arith.constant 7 : index
    %jj = arith.subi %c7, %j : index
    memref.store %s, %x[%i, %jj] : memref<16x8xf32>
    scf.reduce
  }
  return
}


// -----

// The mlp_t norm: a sum over the sequence (the middle dimension) of
// [2, 97, 512], scaled in place. Fused as a loop: each (b, d) iteration
// sums its column, then scales it, reading the sum from its register. The
// result stays one scf.parallel over (b, d) for trm-gpu-map-parallel-loops.
// CHECK-LABEL: func @column_norm
// CHECK-NOT: gpu.launch
// CHECK: scf.parallel (%[[B:.*]], %[[D:.*]]) = (%c0, %c0) to (%c2, %c512)
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %c97 step %c1 iter_args
// CHECK: memref.store %[[SUM]], %arg1[%[[B]], %[[D]]]
// CHECK: scf.for %[[S:.*]] = %c0 to %c97 step %c1 {
// CHECK-NOT: memref.load %arg1
// CHECK: arith.addf %[[SUM]], %cst
// CHECK: memref.store %{{.*}}, %arg0[%[[B]], %[[S]], %[[D]]]
// CHECK-NOT: scf.parallel
func.func @column_norm(%x: memref<2x97x512xf32>, %ss: memref<2x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c97 = arith.constant 97 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  scf.parallel (%b, %d) = (%c0, %c0) to (%c2, %c512) step (%c1, %c1) {
    %sum = scf.for %s = %c0 to %c97 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%b, %s, %d] : memref<2x97x512xf32>
      %sq = arith.mulf %v, %v : f32
      %t = arith.addf %acc, %sq : f32
      scf.yield %t : f32
    }
    memref.store %sum, %ss[%b, %d] : memref<2x512xf32>
    scf.reduce
  }
  scf.parallel (%b, %s, %d) = (%c0, %c0, %c0) to (%c2, %c97, %c512) step (%c1, %c1, %c1) {
    %v = memref.load %x[%b, %s, %d] : memref<2x97x512xf32>
    %sum = memref.load %ss[%b, %d] : memref<2x512xf32>
    %m = arith.addf %sum, %eps : f32
    %r = math.rsqrt %m : f32
    %o = arith.mulf %v, %r : f32
    memref.store %o, %x[%b, %s, %d] : memref<2x97x512xf32>
    scf.reduce
  }
  return
}
