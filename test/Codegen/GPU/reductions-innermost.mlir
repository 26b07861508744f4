// RUN: trm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(trm-gpu-reductions-innermost))' | FileCheck %s

// The mlp_t norm's sum of squares over the sequence of a [B, S, D] tensor:
// the reduction loop (S) moves innermost, so the loops become (b, d, s) and
// linalg's parallel loops cover every (b, d).
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @sum_over_sequence
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
#x = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @sum_over_sequence(%x: memref<2x97x512xf32>, %s: memref<2x512xf32>) {
  linalg.generic {indexing_maps = [#x, #out], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : memref<2x97x512xf32>) outs(%s : memref<2x512xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %t = arith.addf %acc, %m : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// Already innermost: unchanged.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @row_sum
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[OUT]]], iterator_types = ["parallel", "reduction"]}
#x = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: memref<97x512xf32>, %s: memref<97xf32>) {
  linalg.generic {indexing_maps = [#x, #out], iterator_types = ["parallel", "reduction"]} ins(%x : memref<97x512xf32>) outs(%s : memref<97xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %acc, %a : f32
    linalg.yield %t : f32
  }
  return
}
