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
