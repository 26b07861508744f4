// RUN: trm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(trm-cpu-tile{threads=2}),canonicalize)" | FileCheck %s

// A matmul is split along n into one chunk per thread (scf.forall), then
// tiled into 8x32 accumulator blocks updated by rank-1 products over k. The
// n-panel loop is outermost, so one 32-column panel of B stays in cache
// while the m blocks stream past it; the 20 rows peel into 2 full blocks and
// one 4-row block.
// CHECK-LABEL: func @matmul
// CHECK: scf.forall (%[[T:.*]]) = (0) to (128) step (64)
// CHECK: scf.for %[[N:.*]] = %c0 to %c64 step %c32
// CHECK: scf.for %[[M:.*]] = %c0 to %c16 step %c8
// CHECK: scf.for %[[K:.*]] = %c0 to %c24 step %c1
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c24 step %c1
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: scf.forall.in_parallel
func.func @matmul(%a: tensor<20x24xf32>, %b: tensor<24x128xf32>, %c: tensor<20x128xf32>) -> tensor<20x128xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<20x24xf32>, tensor<24x128xf32>) outs(%c : tensor<20x128xf32>) -> tensor<20x128xf32>
  return %r : tensor<20x128xf32>
}

// -----

// n = 40 does not split into two chunks of at least one 32-wide block: one
// thread, a full 32-column block and a peeled 8-column one (single-trip
// tile loops fold away).
// CHECK-LABEL: func @narrow
// CHECK-NOT: scf.forall
// CHECK: tensor<8x1xf32>, tensor<1x32xf32>
// CHECK: tensor<8x1xf32>, tensor<1x8xf32>
func.func @narrow(%a: tensor<8x4xf32>, %b: tensor<4x40xf32>, %c: tensor<8x40xf32>) -> tensor<8x40xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x40xf32>) outs(%c : tensor<8x40xf32>) -> tensor<8x40xf32>
  return %r : tensor<8x40xf32>
}

// -----

// Element-wise ops get one 16-wide vector along the innermost loop (20 =
// 16 + a peeled 4), every other loop tiled by 1.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @elementwise
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4xf32>) outs(%{{.*}} : tensor<1x4xf32>)
func.func @elementwise(%x: tensor<3x20xf32>, %o: tensor<3x20xf32>) -> tensor<3x20xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<3x20xf32>) outs(%o : tensor<3x20xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<3x20xf32>
  return %r : tensor<3x20xf32>
}

// -----

// Element-wise ops and reductions of at least 16384 points are split across
// the threads too, along their first parallel dimension that splits evenly:
// the rows here; for the [1, 97, 512] one (1 and 97 do not split) the
// innermost, in halves of at least one vector. The reduced dimension is
// never split.
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#rows = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @large_elementwise
// CHECK: scf.forall (%{{.*}}) = (0) to (8) step (4)
// CHECK: scf.forall (%{{.*}}) = (0) to (512) step (256)
// CHECK: scf.forall (%{{.*}}) = (0) to (4) step (2)
func.func @large_elementwise(%x: tensor<8x64x64xf32>, %y: tensor<1x97x512xf32>, %z: tensor<4x97x512xf32>, %s: tensor<4x97xf32>) -> (tensor<8x64x64xf32>, tensor<1x97x512xf32>, tensor<4x97xf32>) {
  %e = tensor.empty() : tensor<8x64x64xf32>
  %a = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<8x64x64xf32>) outs(%e : tensor<8x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<8x64x64xf32>
  %e2 = tensor.empty() : tensor<1x97x512xf32>
  %b = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y : tensor<1x97x512xf32>) outs(%e2 : tensor<1x97x512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x97x512xf32>
  %c = linalg.generic {indexing_maps = [#id3, #rows], iterator_types = ["parallel", "parallel", "reduction"]} ins(%z : tensor<4x97x512xf32>) outs(%s : tensor<4x97xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.addf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<4x97xf32>
  return %a, %b, %c : tensor<8x64x64xf32>, tensor<1x97x512xf32>, tensor<4x97xf32>
}

// -----

// The pair dimension of a bf16 contraction (trm-cpu-pack-weights' bf16
// panels) stays whole: each tile is 8 rows x 32 columns x one pair of k.
#pa = affine_map<(m, nb, j, kk, p) -> (m, kk, p)>
#pb = affine_map<(m, nb, j, kk, p) -> (nb, kk, j, p)>
#pc = affine_map<(m, nb, j, kk, p) -> (m, nb, j)>
// CHECK-LABEL: func @bf16_pairs
// CHECK: scf.forall
// CHECK: linalg.contract {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x1x2xbf16>, tensor<1x1x32x2xbf16>) outs(%{{.*}} : tensor<8x1x32xf32>)
func.func @bf16_pairs(%a: tensor<16x12x2xbf16>, %b: tensor<4x12x32x2xbf16>, %c: tensor<16x4x32xf32>) -> tensor<16x4x32xf32> {
  %r = linalg.contract indexing_maps = [#pa, #pb, #pc] ins(%a, %b : tensor<16x12x2xbf16>, tensor<4x12x32x2xbf16>) outs(%c : tensor<16x4x32xf32>) -> tensor<16x4x32xf32>
  return %r : tensor<16x4x32xf32>
}
