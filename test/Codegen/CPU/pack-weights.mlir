// RUN: trm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(trm-cpu-pack-weights))" | FileCheck %s
// RUN: trm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(trm-cpu-pack-weights,trm-cpu-tile{threads=2}),canonicalize)" | FileCheck %s --check-prefix=TILED
// RUN: trm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(trm-cpu-pack-weights{bf16=1}))" | FileCheck %s --check-prefix=BF16

// A matmul in a loop whose B is defined outside it: B is packed once, where
// it is defined, into [n / 32, k, 32] panels, and the matmul becomes a
// contraction over them with loops (m, nb, j, k), collapsed back to [m, n].
// CHECK-LABEL: func @invariant
// CHECK: %[[EXP:.*]] = tensor.expand_shape %arg1 {{\[\[}}0], [1, 2]] output_shape [24, 4, 32] : tensor<24x128xf32> into tensor<24x4x32xf32>
// CHECK: %[[P:.*]] = linalg.transpose ins(%[[EXP]] : tensor<24x4x32xf32>) outs(%{{.*}} : tensor<4x24x32xf32>) permutation = [1, 0, 2]
// CHECK: scf.for
// CHECK: %[[C3:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [20, 4, 32] : tensor<20x128xf32> into tensor<20x4x32xf32>
// CHECK: %[[R:.*]] = linalg.contract indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%arg0, %[[P]] : tensor<20x24xf32>, tensor<4x24x32xf32>) outs(%[[C3]] : tensor<20x4x32xf32>)
// CHECK: tensor.collapse_shape %[[R]] {{\[\[}}0], [1, 2]] : tensor<20x4x32xf32> into tensor<20x128xf32>
// CHECK-NOT: linalg.matmul
// The panels split across threads (the 32 columns of one panel do not),
// the panel loop outermost, then the 8-row blocks, then k: each register
// tile reads one panel row of 32 contiguous floats.
// TILED-LABEL: func @invariant
// TILED: linalg.transpose
// TILED: scf.for
// TILED: scf.forall (%{{.*}}) = (0) to (4) step (2)
// TILED: scf.for %{{.*}} = %c0 to %c2 step %c1
// TILED: scf.for %{{.*}} = %c0 to %c16 step %c8
// TILED: scf.for %{{.*}} = %c0 to %c24 step %c1
// TILED: linalg.contract {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x1x32xf32>) outs(%{{.*}} : tensor<8x1x32xf32>)
func.func @invariant(%a: tensor<20x24xf32>, %b: tensor<24x128xf32>, %c: tensor<20x128xf32>) -> tensor<20x128xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %c) -> tensor<20x128xf32> {
    %m = linalg.matmul ins(%a, %b : tensor<20x24xf32>, tensor<24x128xf32>) outs(%acc : tensor<20x128xf32>) -> tensor<20x128xf32>
    scf.yield %m : tensor<20x128xf32>
  }
  return %r : tensor<20x128xf32>
}

// -----

// Left alone: a B computed in the loop (packing it would cost a copy per
// iteration), a matmul in no loop (packed once, used once), n not a
// multiple of the panel width, one panel only, and mixed element types.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.contract
// CHECK-COUNT-5: linalg.matmul
func.func @left_alone(%a: tensor<20x24xf32>, %b: tensor<24x128xf32>, %c: tensor<20x128xf32>,
                      %b40: tensor<24x40xf32>, %c40: tensor<20x40xf32>,
                      %b32: tensor<24x32xf32>, %c32: tensor<20x32xf32>,
                      %a16: tensor<20x24xf16>, %b16: tensor<24x128xf16>) -> (tensor<20x128xf32>, tensor<20x128xf32>, tensor<20x40xf32>, tensor<20x32xf32>, tensor<20x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %once = linalg.matmul ins(%a, %b : tensor<20x24xf32>, tensor<24x128xf32>) outs(%c : tensor<20x128xf32>) -> tensor<20x128xf32>
  %r:4 = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %c, %acc40 = %c40, %acc32 = %c32, %acc16 = %c) -> (tensor<20x128xf32>, tensor<20x40xf32>, tensor<20x32xf32>, tensor<20x128xf32>) {
    %e = tensor.empty() : tensor<24x128xf32>
    %bl = linalg.add ins(%b, %b : tensor<24x128xf32>, tensor<24x128xf32>) outs(%e : tensor<24x128xf32>) -> tensor<24x128xf32>
    %computed = linalg.matmul ins(%a, %bl : tensor<20x24xf32>, tensor<24x128xf32>) outs(%acc : tensor<20x128xf32>) -> tensor<20x128xf32>
    %m40 = linalg.matmul ins(%a, %b40 : tensor<20x24xf32>, tensor<24x40xf32>) outs(%acc40 : tensor<20x40xf32>) -> tensor<20x40xf32>
    %m32 = linalg.matmul ins(%a, %b32 : tensor<20x24xf32>, tensor<24x32xf32>) outs(%acc32 : tensor<20x32xf32>) -> tensor<20x32xf32>
    %m16 = linalg.matmul ins(%a16, %b16 : tensor<20x24xf16>, tensor<24x128xf16>) outs(%acc16 : tensor<20x128xf32>) -> tensor<20x128xf32>
    scf.yield %computed, %m40, %m32, %m16 : tensor<20x128xf32>, tensor<20x40xf32>, tensor<20x32xf32>, tensor<20x128xf32>
  }
  return %once, %r#0, %r#1, %r#2, %r#3 : tensor<20x128xf32>, tensor<20x128xf32>, tensor<20x40xf32>, tensor<20x32xf32>, tensor<20x128xf32>
}

// -----

// bf16: B is rounded to bf16 as it is packed, into panels of k pairs
// [n / 32, k / 2, 32, 2] (element (nb, kk, j, p) = B[2 kk + p, 32 nb + j]);
// A is rounded into pairs [m, k / 2, 2] before the contraction, which sums
// in f32 over (m, nb, j, kk, p). An odd k stays f32.
// BF16-DAG: #[[BIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d0, d2)>
// BF16-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
// BF16-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d2, d4)>
// BF16-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// BF16-LABEL: func @pairs
// BF16: %[[EXP:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2, 3]] output_shape [12, 2, 4, 32] : tensor<24x128xf32> into tensor<12x2x4x32xf32>
// BF16: %[[P:.*]] = linalg.generic {indexing_maps = [#[[BIN]], #{{.*}}], {{.*}}} ins(%[[EXP]] : tensor<12x2x4x32xf32>) outs(%{{.*}} : tensor<4x12x32x2xbf16>)
// BF16: arith.truncf %{{.*}} : f32 to bf16
// BF16: scf.for
// BF16: %[[AR:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<20x24xf32>) outs(%{{.*}} : tensor<20x24xbf16>)
// BF16: %[[AP:.*]] = tensor.expand_shape %[[AR]] {{\[\[}}0], [1, 2]] output_shape [20, 12, 2] : tensor<20x24xbf16> into tensor<20x12x2xbf16>
// BF16: linalg.contract indexing_maps = [#[[A]], #[[B]], #[[C]]] ins(%[[AP]], %[[P]] : tensor<20x12x2xbf16>, tensor<4x12x32x2xbf16>) outs(%{{.*}} : tensor<20x4x32xf32>)
// BF16: linalg.contract {{.*}} ins(%arg3, %{{.*}} : tensor<20x23xf32>, tensor<4x23x32xf32>)
// CHECK-LABEL: func @pairs
// CHECK-NOT: bf16
func.func @pairs(%a: tensor<20x24xf32>, %b: tensor<24x128xf32>, %c: tensor<20x128xf32>,
                 %aodd: tensor<20x23xf32>, %bodd: tensor<23x128xf32>) -> (tensor<20x128xf32>, tensor<20x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %c, %acc2 = %c) -> (tensor<20x128xf32>, tensor<20x128xf32>) {
    %m = linalg.matmul ins(%a, %b : tensor<20x24xf32>, tensor<24x128xf32>) outs(%acc : tensor<20x128xf32>) -> tensor<20x128xf32>
    %o = linalg.matmul ins(%aodd, %bodd : tensor<20x23xf32>, tensor<23x128xf32>) outs(%acc2 : tensor<20x128xf32>) -> tensor<20x128xf32>
    scf.yield %m, %o : tensor<20x128xf32>, tensor<20x128xf32>
  }
  return %r#0, %r#1 : tensor<20x128xf32>, tensor<20x128xf32>
}

// -----

// bf16: a weight on the left of each sample (mlp_t's token mixing,
// C[b, m, n] += W[m, k] X[b, k, n]) with an odd k: W padded with one zero
// column and rounded into pairs once, outside the loop; X padded, rounded and
// laid out as pairs [b, k / 2, n, 2] before the contraction. f32 leaves it.
// BF16-DAG: #[[XIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// BF16-DAG: #[[LW:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
// BF16-DAG: #[[LX:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2, d4)>
// BF16-DAG: #[[LC:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// BF16-LABEL: func @left_weight
// BF16: tensor.pad %arg0 low[0, 0] high[0, 1]
// BF16: tensor<16x5xf32> to tensor<16x6xf32>
// BF16: %[[WP:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [16, 3, 2] : tensor<16x6xbf16> into tensor<16x3x2xbf16>
// BF16: scf.for
// BF16: tensor.pad %{{.*}} low[0, 0, 0] high[0, 1, 0]
// BF16: %[[XE:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3]] output_shape [2, 3, 2, 64] : tensor<2x6x64xf32> into tensor<2x3x2x64xf32>
// BF16: %[[XP:.*]] = linalg.generic {indexing_maps = [#[[XIN]], #{{.*}}], {{.*}}} ins(%[[XE]] : tensor<2x3x2x64xf32>) outs(%{{.*}} : tensor<2x3x64x2xbf16>)
// BF16: linalg.contract indexing_maps = [#[[LW]], #[[LX]], #[[LC]]] ins(%[[WP]], %[[XP]] : tensor<16x3x2xbf16>, tensor<2x3x64x2xbf16>) outs(%{{.*}} : tensor<2x16x64xf32>)
// CHECK-LABEL: func @left_weight
// CHECK: linalg.generic
// CHECK-NOT: bf16
#lw = affine_map<(b, m, n, k) -> (m, k)>
#lx = affine_map<(b, m, n, k) -> (b, k, n)>
#lc = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @left_weight(%w: tensor<16x5xf32>, %x: tensor<2x5x64xf32>, %c: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %c) -> tensor<2x16x64xf32> {
    %m = linalg.generic {indexing_maps = [#lw, #lx, #lc], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%w, %x : tensor<16x5xf32>, tensor<2x5x64xf32>) outs(%acc : tensor<2x16x64xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %o, %p : f32
      linalg.yield %s : f32
    } -> tensor<2x16x64xf32>
    scf.yield %m : tensor<2x16x64xf32>
  }
  return %r : tensor<2x16x64xf32>
}
