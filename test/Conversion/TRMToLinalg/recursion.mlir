// RUN: trm-opt %s --convert-trm-to-linalg="compact-halted=false" | FileCheck %s
// RUN: trm-opt %s --convert-trm-to-linalg --loop-invariant-code-motion --cse | FileCheck %s --check-prefix=COMPACT

// The deep recursion is one loop of T*(n+1) = 3*(2+1) = 9 network calls with
// a single copy of the network body; the halting loop is an scf.while that
// stops after max_steps or once every sample has halted.

// CHECK-LABEL: func.func @loops
// CHECK: %[[WHILE:.*]]:9 = scf.while
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

// Batch compaction (the default): each step lists the running samples; all
// of the batch running (count == 2) makes the batched step's loop run once;
// otherwise it runs 0 times and the running rows go through sub-batches (here
// only of size 1: the powers of two below 2), each gathered from the state
// and the input into [1, ...] tensors of their own, stepped and scattered
// back. Loops rather than branches keep the weight transposes hoistable. The
// rows the loops ran, times 9 calls, are the network call count.
// COMPACT-LABEL: func.func @loops
// COMPACT-COUNT-2: linalg.transpose
// COMPACT: scf.while
// COMPACT: } do {
// COMPACT-NOT: linalg.transpose
// COMPACT: %[[LIST:.*]]:2 = scf.for %[[I:.*]] = %c0 to %c2 step %c1 iter_args(%[[L:.*]] = %{{.*}}, %[[N:.*]] = %c0) -> (tensor<2xindex>, index)
// COMPACT: tensor.insert %[[I]] into %[[L]][%[[N]]]
// COMPACT: %[[FULL:.*]] = arith.cmpi eq, %[[LIST]]#1, %c2
// COMPACT: %[[ONCE:.*]] = arith.select %[[FULL]], %c1, %c0
// COMPACT: %[[B:.*]]:4 = scf.for %{{.*}} = %c0 to %[[ONCE]] step %c1 iter_args({{.*}}) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x2x5xf32>, tensor<2x2xf32>)
// COMPACT: scf.for %{{.*}} = %c0 to %c9 step %c1 iter_args({{.*}}) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>)
// COMPACT: math.rsqrt
// COMPACT: linalg.copy ins(%{{.*}} : tensor<2x2x5xf32>)
// COMPACT: linalg.copy ins(%{{.*}} : tensor<2x2xf32>)
// COMPACT: %[[BROWS:.*]] = arith.muli %[[ONCE]], %c2
// COMPACT: %[[LEFT:.*]] = arith.select %[[FULL]], %c0, %[[LIST]]#1
// COMPACT: scf.for %[[C:.*]] = %c0 to %[[LEFT]] step %c1 iter_args(%[[A:[^ ]*]] = %[[B]]#0, %[[Z:[^ ]*]] = %[[B]]#1,
// COMPACT: scf.for %[[J:.*]] = %c0 to %c1
// COMPACT: %[[AT:.*]] = arith.addi %[[C]], %[[J]]
// COMPACT: %[[S:.*]] = tensor.extract %[[LIST]]#0[%[[AT]]] : tensor<2xindex>
// COMPACT: tensor.extract_slice %[[A]][%[[S]], 0, 0] [1, 3, 4] [1, 1, 1] : tensor<2x3x4xf32> to tensor<1x3x4xf32>
// COMPACT: tensor.extract_slice %[[Z]][%{{.*}}, 0, 0] [1, 3, 4] [1, 1, 1] : tensor<2x3x4xf32> to tensor<1x3x4xf32>
// COMPACT: tensor.extract_slice %arg1[%{{.*}}, 0, 0] [1, 3, 4] [1, 1, 1] : tensor<2x3x4xf32> to tensor<1x3x4xf32>
// COMPACT: scf.for %{{.*}} = %c0 to %c9 step %c1 iter_args({{.*}}) -> (tensor<1x3x4xf32>, tensor<1x3x4xf32>)
// COMPACT: math.rsqrt
// COMPACT: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x4xf32>, tensor<4x2xf32>)
// COMPACT: scf.for %{{.*}} = %c0 to %c1 step %c1 iter_args(%[[A2:[^ ]*]] = %[[A]], %[[Z2:[^ ]*]] = %[[Z]],
// COMPACT: %[[T:.*]] = tensor.extract %[[LIST]]#0
// COMPACT: tensor.insert_slice %{{.*}} into %[[A2]][%[[T]], 0, 0] [1, 3, 4]
// COMPACT: tensor.insert_slice %{{.*}} into %[[Z2]][%[[T]], 0, 0] [1, 3, 4]
// COMPACT: tensor.insert_slice %{{.*}} into %{{.*}}[%[[T]], 0, 0] [1, 2, 5]
// COMPACT: tensor.insert_slice %{{.*}} into %{{.*}}[%[[T]], 0] [1, 2]
// COMPACT: %[[SUBROWS:.*]] = arith.addi %[[BROWS]], %[[LEFT]]
// COMPACT: arith.addi %{{.*}}, %[[SUBROWS]]
// COMPACT: %[[CALLS:.*]] = arith.muli %{{.*}}#8, %c9
// COMPACT: %[[CALLS32:.*]] = arith.index_cast %[[CALLS]] : index to i32
// COMPACT: linalg.fill ins(%[[CALLS32]] : i32) outs(%{{.*}} : tensor<1xi32>)
// COMPACT-NOT: trm.
func.func @loops(%y0: tensor<2x3x4xf32>, %x: tensor<2x3x4xf32>, %w: tensor<5x4xf32>, %qw: tensor<2x4xf32>, %qb: tensor<2xf32>) -> (tensor<2x2x5xf32>, tensor<2x4x2xf32>, tensor<2x4x2xi32>, tensor<2xi32>, tensor<1xi32>) {
  %logits, %q, %preds, %steps, %calls = trm.act max_steps 4 policy q_halt answer(%y0) latent(%y0) : tensor<2x3x4xf32> -> tensor<2x2x5xf32>, tensor<2x4x2xf32>, tensor<2x4x2xi32>, tensor<2xi32>, tensor<1xi32> {
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
  return %logits, %q, %preds, %steps, %calls : tensor<2x2x5xf32>, tensor<2x4x2xf32>, tensor<2x4x2xi32>, tensor<2xi32>, tensor<1xi32>
}
