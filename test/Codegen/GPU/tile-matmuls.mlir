// RUN: trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-gpu-tile-matmuls{threads-x=4 threads-y=2 rows-per-invocation=2 cols-per-invocation=2 k-tile=8}),canonicalize,cse)' | FileCheck %s
// RUN: trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-gpu-tile-matmuls{threads-x=4 threads-y=1 rows-per-invocation=4 cols-per-invocation=2 k-tile=8}),canonicalize,cse)' | FileCheck %s --check-prefix=ROW

// 8x16 outputs, 24 reduction steps: blocks of 4x8 outputs (2x4 invocations
// of 2x2) divide them, and k slices of 8 divide 24: no clamps, no guards.
// Both operands are staged (A: 4x8, B: 8x8) between two barriers; each
// invocation reads its rows 2 apart and its columns 4 apart; the epilogue
// (a residual add) runs once per accumulator.
// CHECK-LABEL: func @exact
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2, {{.*}} = %c2, {{.*}} = %c1) threads(%[[TX:.*]], %[[TY:.*]], %{{.*}}) in ({{.*}} = %c4, {{.*}} = %c2, {{.*}} = %c1)
// CHECK-DAG: %[[A:.*]] = memref.alloc() : memref<4x8xf32, #spirv.storage_class<Workgroup>>
// CHECK-DAG: %[[B:.*]] = memref.alloc() : memref<8x8xf32, #spirv.storage_class<Workgroup>>
// CHECK: scf.for %[[K0:.*]] = %c0 to %c24 step %c8 iter_args({{.*}}) -> (f32, f32, f32, f32)
// CHECK-NOT: arith.minui
// CHECK: memref.store {{.*}}, %[[A]]
// CHECK: memref.store {{.*}}, %[[B]]
// CHECK: gpu.barrier
// CHECK: scf.for %[[KK:.*]] = %c0 to %c8 step %c1 iter_args
// CHECK: memref.load %[[A]][%[[TY]], %[[KK]]]
// CHECK: %[[R1:.*]] = arith.addi %[[TY]], %c2
// CHECK: memref.load %[[A]][%[[R1]], %[[KK]]]
// CHECK: memref.load %[[B]][%[[KK]], %[[TX]]]
// CHECK: %[[C1:.*]] = arith.addi %[[TX]], %c4
// CHECK: memref.load %[[B]][%[[KK]], %[[C1]]]
// CHECK-COUNT-4: arith.mulf
// CHECK: gpu.barrier
// CHECK-NOT: scf.if
// CHECK-COUNT-4: memref.store
// CHECK: gpu.terminator

// ROW-LABEL: func @exact
// ROW: gpu.launch blocks({{.*}}) in ({{.*}} = %c2, {{.*}} = %c2, {{.*}} = %c1) threads({{.*}}) in ({{.*}} = %c4, {{.*}} = %c1, {{.*}} = %c1)
// ROW: memref.alloc() : memref<4x8xf32, #spirv.storage_class<Workgroup>>
// ROW-NOT: memref.alloc
// ROW: gpu.barrier
// ROW: scf.for
// ROW-COUNT-2: memref.load %arg1
// ROW-COUNT-8: arith.mulf
func.func @exact(%a: memref<8x24xf32>, %b: memref<24x16xf32>, %c: memref<8x16xf32>, %r: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c24 = arith.constant 24 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c16) step (%c1, %c1) {
    %sum = scf.for %k = %c0 to %c24 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<8x24xf32>
      %y = memref.load %b[%k, %j] : memref<24x16xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    %res = memref.load %r[%i, %j] : memref<8x16xf32>
    %out = arith.addf %sum, %res : f32
    memref.store %out, %c[%i, %j] : memref<8x16xf32>
    scf.reduce
  }
  return
}

// -----

// 10x13 outputs, 20 reduction steps: the last row and column blocks and the
// last k slice reach past the end. Staging clamps to the last row, column
// and step, and stages zeros past the last step; the epilogue of outputs
// past the end is skipped.
// CHECK-LABEL: func @ragged
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2, {{.*}} = %c3, {{.*}} = %c1)
// CHECK: scf.for {{.*}} = %c0 to %c20 step %c8
// CHECK: %[[LAST_ROW:.*]] = arith.minui {{.*}}, %c9
// CHECK: %[[IN:.*]] = arith.cmpi ult, {{.*}}, %c20
// CHECK: %[[K:.*]] = arith.minui {{.*}}, %c19
// CHECK: %[[V:.*]] = memref.load %arg0[%[[LAST_ROW]], %[[K]]]
// CHECK: arith.select %[[IN]], %[[V]], %cst
// CHECK: arith.minui {{.*}}, %c12
// CHECK: gpu.barrier
// CHECK: arith.cmpi ult, {{.*}}, %c10
// CHECK: arith.cmpi ult, {{.*}}, %c13
// CHECK: scf.if
// CHECK-NEXT: memref.store
func.func @ragged(%a: memref<10x20xf32>, %b: memref<20x13xf32>, %c: memref<10x13xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c13 = arith.constant 13 : index
  %c20 = arith.constant 20 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c10, %c13) step (%c1, %c1) {
    %sum = scf.for %k = %c0 to %c20 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<10x20xf32>
      %y = memref.load %b[%k, %j] : memref<20x13xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %c[%i, %j] : memref<10x13xf32>
    scf.reduce
  }
  return
}

// -----

// Attention scores: batch and head dimensions go to the z workgroup id
// (6 = 2 x 3, the innermost fastest); B depends on them too.
// CHECK-LABEL: func @heads
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[Z:.*]]) in ({{.*}} = %c1, {{.*}} = %c2, {{.*}} = %c6)
// CHECK: %[[H:.*]] = arith.remui %[[Z]], %c3
// CHECK: %[[B:.*]] = arith.divui %[[Z]], %c3
// CHECK: memref.load %arg0[%[[B]], %{{.*}}, %[[H]], %{{.*}}]
// CHECK: memref.load %arg1[%[[B]], %[[H]], %{{.*}}, %{{.*}}]
func.func @heads(%q: memref<2x8x3x16xf32>, %kt: memref<2x3x16x8xf32>, %s: memref<2x3x8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b, %h, %i, %j) = (%c0, %c0, %c0, %c0) to (%c2, %c3, %c8, %c8) step (%c1, %c1, %c1, %c1) {
    %sum = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %q[%b, %i, %h, %k] : memref<2x8x3x16xf32>
      %y = memref.load %kt[%b, %h, %k, %j] : memref<2x3x16x8xf32>
      %p = arith.mulf %x, %y : f32
      %t = arith.addf %p, %acc : f32
      scf.yield %t : f32
    }
    memref.store %sum, %s[%b, %h, %i, %j] : memref<2x3x8x8xf32>
    scf.reduce
  }
  return
}

// -----

// Left to trm-gpu-map-parallel-loops: a reduction that is no product of
// two operands, and a matmul narrower than one block.
// CHECK-LABEL: func @not_matmuls
// CHECK-NOT: gpu.launch
// CHECK-COUNT-2: scf.parallel
func.func @not_matmuls(%a: memref<8x24xf32>, %b: memref<24x4xf32>, %c: memref<8x4xf32>, %n: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c24 = arith.constant 24 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
    %sum = scf.for %k = %c0 to %c24 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<8x24xf32>
      %y = memref.load %b[%k, %j] : memref<24x4xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %c[%i, %j] : memref<8x4xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %sum = scf.for %k = %c0 to %c24 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<8x24xf32>
      %s = arith.maximumf %acc, %x : f32
      scf.yield %s : f32
    }
    memref.store %sum, %n[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
