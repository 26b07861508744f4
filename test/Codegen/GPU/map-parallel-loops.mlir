// RUN: trm-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(trm-gpu-map-parallel-loops))' | FileCheck %s

// A 4x37x64 loop: the innermost dimension fills the 64-wide workgroup and
// maps to x; the others go to blocks y and z. 64 divides the extent: no
// bounds check.
// CHECK-LABEL: func @three_dims
// CHECK: arith.constant 64 : index
// CHECK: scf.parallel {{.*}} to (%c4, %c37, %c64) step
// CHECK: scf.parallel
// CHECK-NOT: scf.if
// CHECK: mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]
// CHECK: mapping = [#gpu.loop_dim_map<processor = block_z, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]
func.func @three_dims(%m: memref<4x37x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c37 = arith.constant 37 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c4, %c37, %c64) step (%c1, %c1, %c1) {
    memref.store %f, %m[%i, %j, %k] : memref<4x37x64xf32>
  }
  return
}

// -----

// A narrow innermost dimension (2) leaves room for 32 rows per workgroup;
// 40 rows, 4 per invocation (a reduction loop inside), in 10 row groups:
// 16 groups per workgroup need a bounds check; a parallel loop below a
// reduction loop runs sequentially in the kernel.
// CHECK-LABEL: func @narrow_and_nested
// CHECK: arith.constant 16 : index
// CHECK: scf.parallel {{.*}} to (%c10, %c2) step
// CHECK: scf.parallel
// CHECK: scf.if
// CHECK: scf.for
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: thread_y{{.*}}thread_x
func.func @narrow_and_nested(%m: memref<40x2xf32>, %n: memref<40x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c40 = arith.constant 40 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c40, %c2) step (%c1, %c1) {
    scf.for %r = %c0 to %c8 step %c1 {
      scf.parallel (%q) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %n[%i, %q] : memref<40x8xf32>
        memref.store %v, %m[%i, %j] : memref<40x2xf32>
      }
    }
  }
  return
}

// -----

func.func @dynamic(%m: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{dynamic loop bounds are not supported}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %m[%i] : memref<?xf32>
  }
  return
}

// -----

// A loop with a reduction inside gets a register tile: each invocation
// computes 4 rows (dimension 0, 8 rows in 2 groups), in a marked loop.
// CHECK-LABEL: func @register_tile
// CHECK: scf.parallel {{.*}} to (%c2, %c16)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4
// CHECK: scf.for
// CHECK: } {trm.register_tile}
func.func @register_tile(%a: memref<8x32xf32>, %b: memref<32x16xf32>, %c: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c16) step (%c1, %c1) {
    scf.for %k = %c0 to %c32 step %c1 {
      %x = memref.load %a[%i, %k] : memref<8x32xf32>
      %y = memref.load %b[%k, %j] : memref<32x16xf32>
      %acc = memref.load %c[%i, %j] : memref<8x16xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %c[%i, %j] : memref<8x16xf32>
    }
  }
  return
}

// -----

// 7 rows: no row count divides them, so the last group of 4 rows runs past
// the end. Its rows are clamped to the last row (loads stay in bounds) and
// their stores are skipped: 2 groups, rows min(4g + r, 6), stored if
// 4g + r < 7.
// CHECK-LABEL: func @register_tile_clamped
// CHECK: scf.parallel {{.*}} to (%c2, %c16)
// CHECK: scf.for %[[R:.*]] = %c0{{.*}} to %c4
// CHECK: %[[ROW:.*]] = arith.addi %{{.*}}, %[[R]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ROW]], %c7
// CHECK: %[[CLAMPED:.*]] = arith.minui %[[ROW]], %c6
// CHECK: memref.load %arg0[%[[CLAMPED]],
// CHECK: scf.if %[[IN]] {
// CHECK-NEXT: memref.store %{{.*}}, %arg2[%[[CLAMPED]],
// CHECK: } {trm.register_tile}
func.func @register_tile_clamped(%a: memref<7x32xf32>, %b: memref<32x16xf32>, %c: memref<7x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c7, %c16) step (%c1, %c1) {
    %sum = scf.for %k = %c0 to %c32 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %a[%i, %k] : memref<7x32xf32>
      %y = memref.load %b[%k, %j] : memref<32x16xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %c[%i, %j] : memref<7x16xf32>
  }
  return
}

// -----

// The same rows, but the loop adds into its output (a read-modify-write):
// the clamped rows' stores are skipped inside the reduction too, so the
// last row is not added to twice.
// CHECK-LABEL: func @clamp_read_modify_write
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c7
// CHECK: scf.for
// CHECK: scf.if %[[IN]] {
// CHECK-NEXT: memref.store
// CHECK: } {trm.register_tile}
func.func @clamp_read_modify_write(%a: memref<7x32xf32>, %b: memref<32x16xf32>, %c: memref<7x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c7, %c16) step (%c1, %c1) {
    scf.for %k = %c0 to %c32 step %c1 {
      %x = memref.load %a[%i, %k] : memref<7x32xf32>
      %y = memref.load %b[%k, %j] : memref<32x16xf32>
      %acc = memref.load %c[%i, %j] : memref<7x16xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %c[%i, %j] : memref<7x16xf32>
    }
  }
  return
}
