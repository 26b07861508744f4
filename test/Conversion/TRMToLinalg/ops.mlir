// RUN: trm-opt %s --split-input-file --convert-trm-to-linalg | FileCheck %s
// RUN: trm-opt %s --split-input-file --convert-trm-to-linalg=attention-per-sample=true | FileCheck %s --check-prefix=PERSAMPLE

// CHECK-LABEL: func.func @residual_norm_features
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: arith.addf
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}ins(%[[SUM]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}ins(%[[SUM]], %[[SQ]] : tensor<2x3x4xf32>, tensor<2x3xf32>)
// CHECK: math.rsqrt
func.func @residual_norm_features(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %n = trm.residual_norm %a, %b axis 2 eps 1.0e-5 : tensor<2x3x4xf32>
  return %n : tensor<2x3x4xf32>
}

// -----

// The mlp_t norm reduces over the token axis.
// CHECK-LABEL: func.func @residual_norm_tokens
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<2x4xf32>)
func.func @residual_norm_tokens(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %n = trm.residual_norm %a, %b axis 1 eps 1.0e-5 : tensor<2x3x4xf32>
  return %n : tensor<2x3x4xf32>
}

// -----

// Feature SwiGLU: two matmuls with the [out, in] weights transposed to
// [in, out], around the gate.
// CHECK-LABEL: func.func @swiglu_features
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x3x8xf32> into tensor<6x8xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<512x8xf32>) outs(%{{.*}} : tensor<8x512xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<6x8xf32>, tensor<8x512xf32>) outs(%{{.*}} : tensor<6x512xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [2, 3, 256] [1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 256] [2, 3, 256] [1, 1, 1]
// CHECK: math.exp
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<6x256xf32>, tensor<256x8xf32>) outs(%{{.*}} : tensor<6x8xf32>)
func.func @swiglu_features(%h: tensor<2x3x8xf32>, %gu: tensor<512x8xf32>, %d: tensor<8x256xf32>) -> tensor<2x3x8xf32> {
  %m = trm.swiglu %h, %gu, %d over features expansion 4.0 : (tensor<2x3x8xf32>, tensor<512x8xf32>, tensor<8x256xf32>) -> tensor<2x3x8xf32>
  return %m : tensor<2x3x8xf32>
}

// -----

// Token SwiGLU contracts over the token axis without transposes.
// CHECK-LABEL: func.func @swiglu_tokens
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}}ins(%{{.*}}, %{{.*}} : tensor<512x3xf32>, tensor<2x3x8xf32>) outs(%{{.*}} : tensor<2x512x8xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}}ins(%{{.*}}, %{{.*}} : tensor<3x256xf32>, tensor<2x256x8xf32>) outs(%{{.*}} : tensor<2x3x8xf32>)
func.func @swiglu_tokens(%h: tensor<2x3x8xf32>, %gu: tensor<512x3xf32>, %d: tensor<3x256xf32>) -> tensor<2x3x8xf32> {
  %m = trm.swiglu %h, %gu, %d over tokens expansion 4.0 : (tensor<2x3x8xf32>, tensor<512x3xf32>, tensor<3x256xf32>) -> tensor<2x3x8xf32>
  return %m : tensor<2x3x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_rope
// CHECK: linalg.matmul {{.*}} outs(%{{.*}} : tensor<6x24xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x3x2x4xf32>
// Rope tables [L, hd/2] (cos, sin) then q and k rotated by halves.
// CHECK: math.powf
// CHECK: math.cos
// CHECK: math.sin
// CHECK: tensor.insert_slice {{.*}} into %{{.*}}[0, 0, 0, 2] [2, 3, 2, 2]
// k is transposed to [B, H, hd, L] for the scores.
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x2x4xf32>) outs(%{{.*}} : tensor<2x2x4x3xf32>) permutation = [0, 2, 3, 1]
// Scores, max, exp, sum, normalise, weighted values.
// CHECK: outs(%{{.*}} : tensor<2x2x3x3xf32>)
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: outs(%{{.*}} : tensor<2x3x2x4xf32>)
// CHECK: tensor.collapse_shape {{.*}} into tensor<2x3x8xf32>
// CHECK: linalg.matmul {{.*}} outs(%{{.*}} : tensor<6x8xf32>)
// With attention-per-sample (the CPU pipeline's), the projections stay
// batched and the scores, softmax and context run in a loop over the 2
// samples, one [1, H, L, L] score block at a time.
// PERSAMPLE-LABEL: func.func @attention_rope
// PERSAMPLE: linalg.matmul {{.*}} outs(%{{.*}} : tensor<6x24xf32>)
// PERSAMPLE: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ALL:.*]] = %{{.*}}) -> (tensor<2x3x2x4xf32>)
// PERSAMPLE: tensor.extract_slice %{{.*}}[%[[I]], 0, 0, 0] [1, 3, 2, 4] [1, 1, 1, 1] : tensor<2x3x2x4xf32> to tensor<1x3x2x4xf32>
// PERSAMPLE: outs(%{{.*}} : tensor<1x2x3x3xf32>)
// PERSAMPLE: math.exp
// PERSAMPLE: tensor.insert_slice %{{.*}} into %[[ALL]][%[[I]], 0, 0, 0] [1, 3, 2, 4] [1, 1, 1, 1] : tensor<1x3x2x4xf32> into tensor<2x3x2x4xf32>
// PERSAMPLE: scf.yield
// PERSAMPLE: linalg.matmul {{.*}} outs(%{{.*}} : tensor<6x8xf32>)
func.func @attention_rope(%h: tensor<2x3x8xf32>, %qkv: tensor<24x8xf32>, %o: tensor<8x8xf32>) -> tensor<2x3x8xf32> {
  %a = trm.attention %h, %qkv, %o heads 2 rope(10000.0) : (tensor<2x3x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<2x3x8xf32>
  return %a : tensor<2x3x8xf32>
}

// -----

// CHECK-LABEL: func.func @embed_prefix_positions
// CHECK-DAG: arith.constant 0.707106769 : f32
// CHECK-DAG: arith.constant 2.000000e+00 : f32
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<2x5x4xf32>)
// CHECK-DAG: linalg.index 0
// CHECK-DAG: linalg.index 1
// CHECK-DAG: linalg.index 2
// CHECK: tensor.extract %{{.*}} : tensor<2x3xi32>
// CHECK: tensor.extract %{{.*}} : tensor<7x4xf32>
// CHECK: tensor.extract %{{.*}} : tensor<2xi32>
// CHECK: tensor.extract %{{.*}} : tensor<9x6xf32>
// CHECK: tensor.extract %{{.*}} : tensor<5x4xf32>
func.func @embed_prefix_positions(%t: tensor<2x3xi32>, %e: tensor<7x4xf32>, %ids: tensor<2xi32>, %p: tensor<9x6xf32>, %pos: tensor<5x4xf32>) -> tensor<2x5x4xf32> {
  %x = trm.embed %t table(%e) puzzle(%ids, %p) positions(%pos) prefix 2 : (tensor<2x3xi32>, tensor<7x4xf32>, tensor<2xi32>, tensor<9x6xf32>, tensor<5x4xf32>) -> tensor<2x5x4xf32>
  return %x : tensor<2x5x4xf32>
}

// -----

// CHECK-LABEL: func.func @heads
// CHECK: tensor.extract_slice %{{.*}}[0, 2, 0] [2, 3, 4] [1, 1, 1] : tensor<2x5x4xf32> to tensor<2x3x4xf32>
// CHECK: linalg.matmul {{.*}} outs(%{{.*}} : tensor<6x7xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [2, 1, 4] [1, 1, 1] : tensor<2x5x4xf32> to tensor<2x4xf32>
// CHECK: linalg.matmul {{.*}} outs(%{{.*}} : tensor<2x2xf32>)
// CHECK: arith.addf
// Argmax keeps the first maximum: strictly-greater comparison.
// CHECK: linalg.generic {{.*}}outs(%{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2x3xi32>)
// CHECK: arith.cmpf ogt
func.func @heads(%y: tensor<2x5x4xf32>, %w: tensor<7x4xf32>, %qw: tensor<2x4xf32>, %qb: tensor<2xf32>) -> (tensor<2x3x7xf32>, tensor<2x2xf32>, tensor<2x3xi32>) {
  %l = trm.lm_head %y, %w prefix 2 : (tensor<2x5x4xf32>, tensor<7x4xf32>) -> tensor<2x3x7xf32>
  %q = trm.q_head %y, %qw, %qb : (tensor<2x5x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %p = trm.argmax %l : tensor<2x3x7xf32> -> tensor<2x3xi32>
  return %l, %q, %p : tensor<2x3x7xf32>, tensor<2x2xf32>, tensor<2x3xi32>
}
