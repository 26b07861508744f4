// RUN: trm-opt %s --split-input-file --trm-cpu-vectorize | FileCheck %s

// A register tile of a matmul becomes one vector.contract over vectors read
// from the tile's operands.
// CHECK-LABEL: func @matmul_tile
// CHECK: %[[A:.*]] = vector.transfer_read %arg0{{.*}} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK: %[[B:.*]] = vector.transfer_read %arg1{{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK: %[[C:.*]] = vector.transfer_read %arg2{{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: %[[R:.*]] = vector.contract {{.*}} %[[A]], %[[B]], %[[C]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: vector.transfer_write %[[R]], %arg2
// CHECK-NOT: linalg.
func.func @matmul_tile(%a: tensor<8x1xf32>, %b: tensor<1x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x1xf32>, tensor<1x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// An element-wise tile becomes vector arithmetic.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @elementwise_tile
// CHECK: %[[X:.*]] = vector.transfer_read %arg0{{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK: %[[E:.*]] = math.exp %[[X]] : vector<1x16xf32>
// CHECK: vector.transfer_write %[[E]], %arg1
func.func @elementwise_tile(%x: tensor<1x16xf32>, %o: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<1x16xf32>) outs(%o : tensor<1x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

// Tiles bigger than max-volume stay linalg ops.
// CHECK-LABEL: func @too_big
// CHECK: linalg.matmul
func.func @too_big(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

// A tile the vectorizer cannot express (an argmax: two outputs combined by a
// compare and selects, no reduction kind) stays a linalg op, later scalar
// loops, instead of failing the compilation: the fallback that lets every
// shape compile (e.g. a 1x36x6 argmax, small enough to be one tile).
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @argmax_tile
// CHECK-NOT: vector.
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: vector.
func.func @argmax_tile(%l: tensor<1x36x6xf32>, %m: tensor<1x36xf32>, %i: tensor<1x36xi32>) -> tensor<1x36xi32> {
  %r:2 = linalg.generic {indexing_maps = [#in, #out, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l : tensor<1x36x6xf32>) outs(%m, %i : tensor<1x36xf32>, tensor<1x36xi32>) {
  ^bb0(%x: f32, %best: f32, %at: i32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %gt = arith.cmpf ogt, %x, %best : f32
    %nb = arith.select %gt, %x, %best : f32
    %na = arith.select %gt, %ki, %at : i32
    linalg.yield %nb, %na : f32, i32
  } -> (tensor<1x36xf32>, tensor<1x36xi32>)
  return %r#1 : tensor<1x36xi32>
}

// -----

// A contraction written as a linalg.generic (acc + a * b, here with B read
// transposed) becomes vector.contract like a named matmul, not a multiply
// and a reduction, so that its outer products lower to FMAs. With other
// arithmetic in its body it stays a generic.
#ga = affine_map<(m, n, k) -> (m, k)>
#gbt = affine_map<(m, n, k) -> (n, k)>
#gc = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @generic_contraction
// CHECK: vector.contract
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func @not_a_plain_contraction
// CHECK-NOT: vector.contract
// CHECK: vector.multi_reduction
func.func @generic_contraction(%a: tensor<8x1xf32>, %b: tensor<32x1xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [#ga, #gbt, #gc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x1xf32>, tensor<32x1xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
func.func @not_a_plain_contraction(%a: tensor<8x1xf32>, %b: tensor<32x1xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [#ga, #gbt, #gc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<8x1xf32>, tensor<32x1xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y fastmath<fast> : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
