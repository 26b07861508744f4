// RUN: trm-opt %s --convert-trm-to-linalg | FileCheck %s

// The deep recursion is one loop of T*(n+1) = 3*(2+1) = 9 network calls with
// a single copy of the network body; the halting loop is an scf.while that
// stops after max_steps or once every sample has halted.

// CHECK-LABEL: func.func @loops
// CHECK: %[[WHILE:.*]]:8 = scf.while
// CHECK: arith.cmpi ult, %{{.*}}, %c4
// CHECK: arith.andi
// CHECK: scf.condition
// CHECK: } do {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %c9 step
// CHECK: arith.remui %[[I]], %c3
// CHECK: %[[LATENT:.*]] = arith.cmpi ult, %{{.*}}, %c2
// CHECK: scf.if %[[LATENT]]
// CHECK: math.rsqrt
// CHECK-NOT: math.rsqrt
// CHECK: scf.if %[[LATENT]]
// CHECK: scf.yield
// This step's q logits become row k of the per-step record.
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, %{{.*}}, 0] [2, 1, 2] [1, 1, 1] : tensor<2x2xf32> into tensor<2x4x2xf32>
// Halting: q_halt (column 0) > 0 marks the sample halted.
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [2, 1] [1, 1] : tensor<2x2xf32> to tensor<2xf32>
// CHECK: arith.cmpf ogt
// CHECK: arith.ori
// CHECK: scf.yield
// CHECK-NOT: trm.
func.func @loops(%y0: tensor<2x3x4xf32>, %x: tensor<2x3x4xf32>, %w: tensor<5x4xf32>, %qw: tensor<2x4xf32>, %qb: tensor<2xf32>) -> (tensor<2x2x5xf32>, tensor<2x4x2xf32>, tensor<2x4x2xi32>, tensor<2xi32>) {
  %logits, %q, %preds, %steps = trm.act max_steps 4 policy q_halt answer(%y0) latent(%y0) : tensor<2x3x4xf32> -> tensor<2x2x5xf32>, tensor<2x4x2xf32>, tensor<2x4x2xi32>, tensor<2xi32> {
  ^bb0(%y: tensor<2x3x4xf32>, %z: tensor<2x3x4xf32>):
    %y1, %z1 = trm.deep_recursion h_cycles 3 l_cycles 2 answer(%y) latent(%z) input(%x) : tensor<2x3x4xf32> {
    ^bb0(%h: tensor<2x3x4xf32>, %inj: tensor<2x3x4xf32>):
      %n = trm.residual_norm %h, %inj axis 2 eps 1.0e-5 : tensor<2x3x4xf32>
      trm.yield %n : tensor<2x3x4xf32>
    }
    %l = trm.lm_head %y1, %w prefix 1 : (tensor<2x3x4xf32>, tensor<5x4xf32>) -> tensor<2x2x5xf32>
    %qq = trm.q_head %y1, %qw, %qb : (tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<2x2xf32>
    trm.yield %y1, %z1, %l, %qq : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x2x5xf32>, tensor<2x2xf32>
  }
  return %logits, %q, %preds, %steps : tensor<2x2x5xf32>, tensor<2x4x2xf32>, tensor<2x4x2xi32>, tensor<2xi32>
}
