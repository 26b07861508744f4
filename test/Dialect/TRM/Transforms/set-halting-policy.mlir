// RUN: trm-opt %s --trm-set-halting-policy=policy=q_halt | FileCheck %s --check-prefix=QHALT
// RUN: trm-opt %s --trm-set-halting-policy=policy=fixed | FileCheck %s --check-prefix=FIXED
// RUN: not trm-opt %s --trm-set-halting-policy=policy=never 2>&1 | FileCheck %s --check-prefix=BAD

// QHALT: trm.act max_steps 2 policy q_halt
// QHALT: trm.act max_steps 2 policy q_halt
// FIXED: trm.act max_steps 2 policy fixed
// FIXED: trm.act max_steps 2 policy fixed
// BAD: unknown halting policy 'never' (expected fixed, q_halt or q)

func.func @two_loops(%y: tensor<1x2x4xf32>, %l: tensor<1x1x3xf32>, %q: tensor<1x2xf32>) {
  %a:5 = trm.act max_steps 2 policy fixed answer(%y) latent(%y) : tensor<1x2x4xf32> -> tensor<1x1x3xf32>, tensor<1x2x2xf32>, tensor<1x2x1xi32>, tensor<1xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<1x2x4xf32>, %s1: tensor<1x2x4xf32>):
    %y1, %z1 = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%s0) latent(%s1) input(%y) : tensor<1x2x4xf32> {
    ^bb0(%h: tensor<1x2x4xf32>, %inj: tensor<1x2x4xf32>):
      trm.yield %h : tensor<1x2x4xf32>
    }
    trm.yield %y1, %z1, %l, %q : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x1x3xf32>, tensor<1x2xf32>
  }
  %b:5 = trm.act max_steps 2 policy q_halt answer(%y) latent(%y) : tensor<1x2x4xf32> -> tensor<1x1x3xf32>, tensor<1x2x2xf32>, tensor<1x2x1xi32>, tensor<1xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<1x2x4xf32>, %s1: tensor<1x2x4xf32>):
    %y1, %z1 = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%s0) latent(%s1) input(%y) : tensor<1x2x4xf32> {
    ^bb0(%h: tensor<1x2x4xf32>, %inj: tensor<1x2x4xf32>):
      trm.yield %h : tensor<1x2x4xf32>
    }
    trm.yield %y1, %z1, %l, %q : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x1x3xf32>, tensor<1x2xf32>
  }
  return
}
