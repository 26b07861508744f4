// RUN: trm-opt %s --split-input-file --trm-cpu-lower-vectors | FileCheck %s
// RUN: trm-opt %s --split-input-file --trm-cpu-lower-vectors=bf16-dot-product=1 | FileCheck %s --check-prefix=DOT

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

// -----

// A bf16 pair contraction into f32 (an 8 x 32 tile over one pair of k): with
// bf16-dot-product, per row one broadcast of the row's pair as a 32-bit word
// and two AVX512-BF16 dot products of 16 lanes each; without, the operands
// extended to f32 (exactly) and FMAs.
#pa = affine_map<(m, j, p) -> (m, p)>
#pb = affine_map<(m, j, p) -> (j, p)>
#pc = affine_map<(m, j, p) -> (m, j)>
// (The widening is integer arithmetic: a bf16 is the upper half of its f32.)
// CHECK-LABEL: func @bf16_pairs
// CHECK-NOT: x86vector
// CHECK: arith.bitcast %arg0 : vector<8x2xbf16> to vector<8x2xi16>
// CHECK: arith.shli
// CHECK: arith.bitcast %{{.*}} : vector<8x2xi32> to vector<8x2xf32>
// CHECK: arith.bitcast %arg1 : vector<32x2xbf16> to vector<32x2xi16>
// CHECK: vector.fma
// CHECK-NOT: vector.contract
// CHECK-NOT: arith.extf
// DOT-LABEL: func @bf16_pairs
// DOT-NOT: vector.contract
// DOT: %[[WORDS:.*]] = vector.bitcast %{{.*}} : vector<64xbf16> to vector<32xi32>
// DOT: %[[LO:.*]] = vector.extract_strided_slice %[[WORDS]] {offsets = [0], sizes = [16], strides = [1]}
// DOT: %[[B0:.*]] = vector.bitcast %[[LO]] : vector<16xi32> to vector<32xbf16>
// DOT: %[[HI:.*]] = vector.extract_strided_slice %[[WORDS]] {offsets = [16], sizes = [16], strides = [1]}
// DOT: %[[B1:.*]] = vector.bitcast %[[HI]] : vector<16xi32> to vector<32xbf16>
// DOT: %[[PAIR:.*]] = vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// DOT: %[[WORD:.*]] = vector.extract %[[PAIR]][0] : i32 from vector<1xi32>
// DOT: %[[LANES:.*]] = vector.broadcast %[[WORD]] : i32 to vector<16xi32>
// DOT: %[[A:.*]] = vector.bitcast %[[LANES]] : vector<16xi32> to vector<32xbf16>
// DOT: x86vector.avx512.dot %{{.*}}, %[[A]], %[[B0]] : vector<32xbf16> -> vector<16xf32>
// DOT: x86vector.avx512.dot %{{.*}}, %[[A]], %[[B1]] : vector<32xbf16> -> vector<16xf32>
// DOT-COUNT-14: x86vector.avx512.dot
// DOT-NOT: x86vector.avx512.dot
func.func @bf16_pairs(%a: vector<8x2xbf16>, %b: vector<32x2xbf16>, %c: vector<8x32xf32>) -> vector<8x32xf32> {
  %r = vector.contract {indexing_maps = [#pa, #pb, #pc], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<8x2xbf16>, vector<32x2xbf16> into vector<8x32xf32>
  return %r : vector<8x32xf32>
}
