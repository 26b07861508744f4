// RUN: trm-opt %s --split-input-file --trm-cpu-lower-vectors | FileCheck %s

// A rank-1 contraction (k = 1) lowers to one FMA per accumulator row: the
// row's A element broadcast times the B row, added to the row.
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @outer_product
// CHECK-NOT: vector.contract
// CHECK-COUNT-4: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT: vector.fma
func.func @outer_product(%a: vector<4x1xf32>, %b: vector<1x32xf32>, %c: vector<4x32xf32>) -> vector<4x32xf32> {
  %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<4x1xf32>, vector<1x32xf32> into vector<4x32xf32>
  return %r : vector<4x32xf32>
}

// -----

// A row reduction of an element-wise tile becomes a 1-D reduction.
// CHECK-LABEL: func @row_sum
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<16xf32> into f32
func.func @row_sum(%x: vector<1x16xf32>, %acc: vector<1xf32>) -> vector<1xf32> {
  %r = vector.multi_reduction <add>, %x, %acc [1] : vector<1x16xf32> to vector<1xf32>
  return %r : vector<1xf32>
}
