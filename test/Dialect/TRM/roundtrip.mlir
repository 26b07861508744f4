// RUN: trm-opt %s | trm-opt | FileCheck %s
// RUN: trm-opt %s --mlir-print-op-generic | trm-opt | FileCheck %s

// A complete tiny model written by hand: attention with rope, 2-token puzzle
// prefix, one block.

// CHECK-LABEL: func.func @tiny
func.func @tiny(%tokens: tensor<2x6xi32>, %ids: tensor<2xi32>, %count: tensor<1xi32>) -> (tensor<2x6xi32>, tensor<2x6x5xf32>, tensor<2x3x2xf32>, tensor<2xi32>, tensor<2x3x6xi32>) {
  // CHECK: %[[EMB:.*]] = trm.weight "embed_tokens.embedding_weight" : tensor<5x8xf32>
  %emb = trm.weight "embed_tokens.embedding_weight" : tensor<5x8xf32>
  %pemb = trm.weight "puzzle_emb.weights" : tensor<4x16xf32>
  // CHECK: trm.embed %{{.*}} table(%[[EMB]]) puzzle(%{{.*}}, %{{.*}}) prefix 2 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<2xi32>, tensor<4x16xf32>) -> tensor<2x8x8xf32>
  %x = trm.embed %tokens table(%emb) puzzle(%ids, %pemb) prefix 2 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<2xi32>, tensor<4x16xf32>) -> tensor<2x8x8xf32>
  %hv = trm.weight "H_init" : tensor<8xf32>
  %lv = trm.weight "L_init" : tensor<8xf32>
  %y0 = trm.init_state %hv : tensor<8xf32> -> tensor<2x8x8xf32>
  %z0 = trm.init_state %lv : tensor<8xf32> -> tensor<2x8x8xf32>
  // CHECK: trm.act max_steps 3 policy q_halt answer(%{{.*}}) latent(%{{.*}}) samples(%{{.*}} : tensor<1xi32>) : tensor<2x8x8xf32> -> tensor<2x6x5xf32>, tensor<2x3x2xf32>, tensor<2x3x6xi32>, tensor<2xi32>, tensor<1xi32> {
  %logits, %q, %preds, %steps, %calls = trm.act max_steps 3 policy q_halt answer(%y0) latent(%z0) samples(%count : tensor<1xi32>) : tensor<2x8x8xf32> -> tensor<2x6x5xf32>, tensor<2x3x2xf32>, tensor<2x3x6xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%y: tensor<2x8x8xf32>, %z: tensor<2x8x8xf32>):
    // CHECK: trm.deep_recursion h_cycles 2 l_cycles 3 answer(%{{.*}}) latent(%{{.*}}) input(%{{.*}}) : tensor<2x8x8xf32> {
    %y1, %z1 = trm.deep_recursion h_cycles 2 l_cycles 3 answer(%y) latent(%z) input(%x) : tensor<2x8x8xf32> {
    ^bb0(%h: tensor<2x8x8xf32>, %inj: tensor<2x8x8xf32>):
      %s = arith.addf %h, %inj : tensor<2x8x8xf32>
      %qkv = trm.weight "L_level.layers.0.self_attn.qkv_proj.weight" : tensor<24x8xf32>
      %o = trm.weight "L_level.layers.0.self_attn.o_proj.weight" : tensor<8x8xf32>
      // CHECK: trm.attention %{{.*}}, %{{.*}}, %{{.*}} heads 2 rope(1.000000e+04) :
      %a = trm.attention %s, %qkv, %o heads 2 rope(10000.0) : (tensor<2x8x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<2x8x8xf32>
      // CHECK: trm.residual_norm %{{.*}}, %{{.*}} axis 2 eps 1.000000e-05 : tensor<2x8x8xf32>
      %n = trm.residual_norm %s, %a axis 2 eps 1.0e-5 : tensor<2x8x8xf32>
      %gu = trm.weight "L_level.layers.0.mlp.gate_up_proj.weight" : tensor<512x8xf32>
      %d = trm.weight "L_level.layers.0.mlp.down_proj.weight" : tensor<8x256xf32>
      // CHECK: trm.swiglu %{{.*}}, %{{.*}}, %{{.*}} over features expansion 4.000000e+00 :
      %m = trm.swiglu %n, %gu, %d over features expansion 4.0 : (tensor<2x8x8xf32>, tensor<512x8xf32>, tensor<8x256xf32>) -> tensor<2x8x8xf32>
      %out = trm.residual_norm %n, %m axis 2 eps 1.0e-5 : tensor<2x8x8xf32>
      // CHECK: trm.yield %{{.*}} : tensor<2x8x8xf32>
      trm.yield %out : tensor<2x8x8xf32>
    }
    %lm = trm.weight "lm_head.weight" : tensor<5x8xf32>
    // CHECK: trm.lm_head %{{.*}}, %{{.*}} prefix 2 : (tensor<2x8x8xf32>, tensor<5x8xf32>) -> tensor<2x6x5xf32>
    %l = trm.lm_head %y1, %lm prefix 2 : (tensor<2x8x8xf32>, tensor<5x8xf32>) -> tensor<2x6x5xf32>
    %qw = trm.weight "q_head.weight" : tensor<2x8xf32>
    %qb = trm.weight "q_head.bias" : tensor<2xf32>
    // CHECK: trm.q_head
    %qq = trm.q_head %y1, %qw, %qb : (tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<2x2xf32>
    trm.yield %y1, %z1, %l, %qq : tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x6x5xf32>, tensor<2x2xf32>
  }
  // CHECK: trm.argmax %{{.*}} : tensor<2x6x5xf32> -> tensor<2x6xi32>
  %p = trm.argmax %logits : tensor<2x6x5xf32> -> tensor<2x6xi32>
  return %p, %logits, %q, %steps, %preds : tensor<2x6xi32>, tensor<2x6x5xf32>, tensor<2x3x2xf32>, tensor<2xi32>, tensor<2x3x6xi32>
}

// The token-mixing SwiGLU of mlp_t mixes the L = 8 positions.
// CHECK-LABEL: func.func @token_mixing
func.func @token_mixing(%h: tensor<2x8x16xf32>, %gu: tensor<512x8xf32>, %d: tensor<8x256xf32>) -> tensor<2x8x16xf32> {
  // CHECK: trm.swiglu %{{.*}}, %{{.*}}, %{{.*}} over tokens expansion 4.000000e+00
  %m = trm.swiglu %h, %gu, %d over tokens expansion 4.0 : (tensor<2x8x16xf32>, tensor<512x8xf32>, tensor<8x256xf32>) -> tensor<2x8x16xf32>
  // CHECK: trm.residual_norm %{{.*}}, %{{.*}} axis 1
  %n = trm.residual_norm %h, %m axis 1 eps 1.0e-5 : tensor<2x8x16xf32>
  return %n : tensor<2x8x16xf32>
}
