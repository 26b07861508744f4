// RUN: trm-opt %s --split-input-file --verify-diagnostics

func.func @weight_empty_key() {
  // expected-error @+1 {{parameter key must not be empty}}
  %w = trm.weight "" : tensor<4xf32>
  return
}

// -----

func.func @weight_dynamic() {
  // expected-error @+1 {{parameter must have a static shape}}
  %w = trm.weight "lm_head.weight" : tensor<?x4xf32>
  return
}

// -----

func.func @embed_tokens_rank(%t: tensor<2x3x4xi32>, %e: tensor<5x8xf32>) {
  // expected-error @+1 {{tokens must have rank 2}}
  %x = trm.embed %t table(%e) prefix 0 : (tensor<2x3x4xi32>, tensor<5x8xf32>) -> tensor<2x3x8xf32>
  return
}

// -----

func.func @embed_prefix_without_table(%t: tensor<2x6xi32>, %e: tensor<5x8xf32>) {
  // expected-error @+1 {{prefix length 2 needs a puzzle embedding table}}
  %x = trm.embed %t table(%e) prefix 2 : (tensor<2x6xi32>, tensor<5x8xf32>) -> tensor<2x8x8xf32>
  return
}

// -----

func.func @embed_prefix_too_short(%t: tensor<2x6xi32>, %e: tensor<5x8xf32>, %ids: tensor<2xi32>, %p: tensor<3x20xf32>) {
  // expected-error @+1 {{prefix length 2 cannot hold a puzzle embedding of width 20 at hidden size 8 (needs at least 3 positions)}}
  %x = trm.embed %t table(%e) puzzle(%ids, %p) prefix 2 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<2xi32>, tensor<3x20xf32>) -> tensor<2x8x8xf32>
  return
}

// -----

func.func @embed_puzzle_ids_batch(%t: tensor<2x6xi32>, %e: tensor<5x8xf32>, %ids: tensor<3xi32>, %p: tensor<3x8xf32>) {
  // expected-error @+1 {{puzzle ids must have shape [2], got 'tensor<3xi32>'}}
  %x = trm.embed %t table(%e) puzzle(%ids, %p) prefix 1 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<3xi32>, tensor<3x8xf32>) -> tensor<2x7x8xf32>
  return
}

// -----

func.func @embed_positions_shape(%t: tensor<2x6xi32>, %e: tensor<5x8xf32>, %pos: tensor<7x8xf32>) {
  // expected-error @+1 {{position table must have shape [6,8], got 'tensor<7x8xf32>'}}
  %x = trm.embed %t table(%e) positions(%pos) prefix 0 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<7x8xf32>) -> tensor<2x6x8xf32>
  return
}

// -----

func.func @embed_result_shape(%t: tensor<2x6xi32>, %e: tensor<5x8xf32>) {
  // expected-error @+1 {{result must have shape [2,6,8], got 'tensor<2x6x16xf32>'}}
  %x = trm.embed %t table(%e) prefix 0 : (tensor<2x6xi32>, tensor<5x8xf32>) -> tensor<2x6x16xf32>
  return
}

// -----

func.func @embed_element_type(%t: tensor<2x6xi32>, %e: tensor<5x8xf16>) {
  // expected-error @+1 {{tables and result must share one element type}}
  %x = trm.embed %t table(%e) prefix 0 : (tensor<2x6xi32>, tensor<5x8xf16>) -> tensor<2x6x8xf32>
  return
}

// -----

func.func @init_state_width(%v: tensor<16xf32>) {
  // expected-error @+1 {{initial vector of size 16 does not match hidden size 8}}
  %s = trm.init_state %v : tensor<16xf32> -> tensor<2x6x8xf32>
  return
}

// -----

func.func @attention_heads_divide(%h: tensor<2x6x10xf32>, %qkv: tensor<30x10xf32>, %o: tensor<10x10xf32>) {
  // expected-error @+1 {{hidden size 10 is not divisible by the number of heads 4}}
  %a = trm.attention %h, %qkv, %o heads 4 : (tensor<2x6x10xf32>, tensor<30x10xf32>, tensor<10x10xf32>) -> tensor<2x6x10xf32>
  return
}

// -----

func.func @attention_zero_heads(%h: tensor<2x6x8xf32>, %qkv: tensor<24x8xf32>, %o: tensor<8x8xf32>) {
  // expected-error @+1 {{number of heads must be positive, got 0}}
  %a = trm.attention %h, %qkv, %o heads 0 : (tensor<2x6x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<2x6x8xf32>
  return
}

// -----

func.func @attention_qkv_shape(%h: tensor<2x6x8xf32>, %qkv: tensor<16x8xf32>, %o: tensor<8x8xf32>) {
  // expected-error @+1 {{qkv projection must have shape [24,8], got 'tensor<16x8xf32>'}}
  %a = trm.attention %h, %qkv, %o heads 2 : (tensor<2x6x8xf32>, tensor<16x8xf32>, tensor<8x8xf32>) -> tensor<2x6x8xf32>
  return
}

// -----

func.func @attention_o_shape(%h: tensor<2x6x8xf32>, %qkv: tensor<24x8xf32>, %o: tensor<8x4xf32>) {
  // expected-error @+1 {{o projection must have shape [8,8], got 'tensor<8x4xf32>'}}
  %a = trm.attention %h, %qkv, %o heads 2 : (tensor<2x6x8xf32>, tensor<24x8xf32>, tensor<8x4xf32>) -> tensor<2x6x8xf32>
  return
}

// -----

func.func @attention_result(%h: tensor<2x6x8xf32>, %qkv: tensor<24x8xf32>, %o: tensor<8x8xf32>) {
  // expected-error @+1 {{result type must equal the hidden state type}}
  %a = trm.attention %h, %qkv, %o heads 2 : (tensor<2x6x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<2x6x8xf16>
  return
}

// -----

func.func @attention_rope_theta(%h: tensor<2x6x8xf32>, %qkv: tensor<24x8xf32>, %o: tensor<8x8xf32>) {
  // expected-error @+1 {{rope theta must be positive and finite, got -1}}
  %a = trm.attention %h, %qkv, %o heads 2 rope(-1.0) : (tensor<2x6x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<2x6x8xf32>
  return
}

// -----

func.func @swiglu_rule(%h: tensor<2x6x64xf32>, %gu: tensor<384x64xf32>, %d: tensor<64x192xf32>) {
  // expected-error @+1 {{SwiGLU intermediate size 384/2 does not follow round_up(round(expansion * 64 * 2/3), 256) = 256}}
  %m = trm.swiglu %h, %gu, %d over features expansion 4.0 : (tensor<2x6x64xf32>, tensor<384x64xf32>, tensor<64x192xf32>) -> tensor<2x6x64xf32>
  return
}

// -----

func.func @swiglu_tokens_width(%h: tensor<2x6x64xf32>, %gu: tensor<512x64xf32>, %d: tensor<64x256xf32>) {
  // The token-mixing MLP mixes the 6 positions, so its weights are [512, 6] and [6, 256].
  // expected-error @+1 {{gate_up projection must have shape [512,6], got 'tensor<512x64xf32>'}}
  %m = trm.swiglu %h, %gu, %d over tokens expansion 4.0 : (tensor<2x6x64xf32>, tensor<512x64xf32>, tensor<64x256xf32>) -> tensor<2x6x64xf32>
  return
}

// -----

func.func @swiglu_down_shape(%h: tensor<2x6x64xf32>, %gu: tensor<512x64xf32>, %d: tensor<256x64xf32>) {
  // expected-error @+1 {{down projection must have shape [64,256], got 'tensor<256x64xf32>'}}
  %m = trm.swiglu %h, %gu, %d over features expansion 4.0 : (tensor<2x6x64xf32>, tensor<512x64xf32>, tensor<256x64xf32>) -> tensor<2x6x64xf32>
  return
}

// -----

func.func @swiglu_expansion(%h: tensor<2x6x64xf32>, %gu: tensor<512x64xf32>, %d: tensor<64x256xf32>) {
  // expected-error @+1 {{expansion must be positive and finite}}
  %m = trm.swiglu %h, %gu, %d over features expansion 0.0 : (tensor<2x6x64xf32>, tensor<512x64xf32>, tensor<64x256xf32>) -> tensor<2x6x64xf32>
  return
}

// -----

func.func @swiglu_unknown_axis(%h: tensor<2x6x64xf32>, %gu: tensor<512x64xf32>, %d: tensor<64x256xf32>) {
  // expected-error @+2 {{expected ::mlir::trm::MixAxis to be one of: features, tokens}}
  // expected-error @+1 {{failed to parse TRM_MixAxisAttr parameter 'value'}}
  %m = trm.swiglu %h, %gu, %d over heads expansion 4.0 : (tensor<2x6x64xf32>, tensor<512x64xf32>, tensor<64x256xf32>) -> tensor<2x6x64xf32>
  return
}

// -----

func.func @norm_axis(%a: tensor<2x6x8xf32>, %b: tensor<2x6x8xf32>) {
  // expected-error @+1 {{normalisation axis 3 is out of range for rank 3}}
  %n = trm.residual_norm %a, %b axis 3 eps 1.0e-5 : tensor<2x6x8xf32>
  return
}

// -----

func.func @norm_eps(%a: tensor<2x6x8xf32>, %b: tensor<2x6x8xf32>) {
  // expected-error @+1 {{epsilon must be positive and finite, got}}
  %n = trm.residual_norm %a, %b axis 2 eps 0.0 : tensor<2x6x8xf32>
  return
}

// -----

func.func @recursion_cycles(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %x: tensor<2x6x8xf32>) {
  // expected-error @+1 {{h_cycles must be at least 1, got 0}}
  %a, %b = trm.deep_recursion h_cycles 0 l_cycles 2 answer(%y) latent(%z) input(%x) : tensor<2x6x8xf32> {
  ^bb0(%h: tensor<2x6x8xf32>, %inj: tensor<2x6x8xf32>):
    trm.yield %h : tensor<2x6x8xf32>
  }
  return
}

// -----

func.func @recursion_l_cycles(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %x: tensor<2x6x8xf32>) {
  // expected-error @+1 {{l_cycles must be at least 1, got 0}}
  %a, %b = trm.deep_recursion h_cycles 1 l_cycles 0 answer(%y) latent(%z) input(%x) : tensor<2x6x8xf32> {
  ^bb0(%h: tensor<2x6x8xf32>, %inj: tensor<2x6x8xf32>):
    trm.yield %h : tensor<2x6x8xf32>
  }
  return
}

// -----

func.func @recursion_region_args(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %x: tensor<2x6x8xf32>) {
  // expected-error @+1 {{network region must take two arguments of type 'tensor<2x6x8xf32>'}}
  %a, %b = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%y) latent(%z) input(%x) : tensor<2x6x8xf32> {
  ^bb0(%h: tensor<2x6x8xf32>):
    trm.yield %h : tensor<2x6x8xf32>
  }
  return
}

// -----

func.func @recursion_region_yield(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %x: tensor<2x6x8xf32>) {
  // expected-error @+1 {{network region must yield one value of type 'tensor<2x6x8xf32>'}}
  %a, %b = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%y) latent(%z) input(%x) : tensor<2x6x8xf32> {
  ^bb0(%h: tensor<2x6x8xf32>, %inj: tensor<2x6x8xf32>):
    trm.yield %h, %inj : tensor<2x6x8xf32>, tensor<2x6x8xf32>
  }
  return
}

// -----

func.func @recursion_state_rank(%y: tensor<6x8xf32>, %z: tensor<6x8xf32>, %x: tensor<6x8xf32>) {
  // expected-error @+1 {{state must have rank 3, got 'tensor<6x8xf32>'}}
  %a, %b = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%y) latent(%z) input(%x) : tensor<6x8xf32> {
  ^bb0(%h: tensor<6x8xf32>, %inj: tensor<6x8xf32>):
    trm.yield %h : tensor<6x8xf32>
  }
  return
}

// -----

func.func @yield_outside(%y: tensor<2x6x8xf32>) {
  // expected-error @+1 {{expects parent op to be one of 'trm.deep_recursion, trm.act'}}
  trm.yield %y : tensor<2x6x8xf32>
}

// -----

func.func @lm_head_width(%y: tensor<2x6x8xf32>, %w: tensor<5x4xf32>) {
  // expected-error @+1 {{lm_head weight width 4 does not match hidden size 8}}
  %l = trm.lm_head %y, %w prefix 1 : (tensor<2x6x8xf32>, tensor<5x4xf32>) -> tensor<2x5x5xf32>
  return
}

// -----

func.func @lm_head_prefix(%y: tensor<2x6x8xf32>, %w: tensor<5x8xf32>) {
  // expected-error @+1 {{prefix length 6 must be in [0, 6)}}
  %l = trm.lm_head %y, %w prefix 6 : (tensor<2x6x8xf32>, tensor<5x8xf32>) -> tensor<2x0x5xf32>
  return
}

// -----

func.func @lm_head_result(%y: tensor<2x6x8xf32>, %w: tensor<5x8xf32>) {
  // expected-error @+1 {{logits must have shape [2,5,5], got 'tensor<2x6x5xf32>'}}
  %l = trm.lm_head %y, %w prefix 1 : (tensor<2x6x8xf32>, tensor<5x8xf32>) -> tensor<2x6x5xf32>
  return
}

// -----

func.func @q_head_weight(%y: tensor<2x6x8xf32>, %w: tensor<3x8xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{q_head weight must have shape [2,8], got 'tensor<3x8xf32>'}}
  %q = trm.q_head %y, %w, %b : (tensor<2x6x8xf32>, tensor<3x8xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @q_head_bias(%y: tensor<2x6x8xf32>, %w: tensor<2x8xf32>, %b: tensor<1xf32>) {
  // expected-error @+1 {{q_head bias must have shape [2], got 'tensor<1xf32>'}}
  %q = trm.q_head %y, %w, %b : (tensor<2x6x8xf32>, tensor<2x8xf32>, tensor<1xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @argmax_shape(%l: tensor<2x5x7xf32>) {
  // expected-error @+1 {{result shape must be the logits shape without its last axis, got 'tensor<2x7xi32>' for 'tensor<2x5x7xf32>'}}
  %p = trm.argmax %l : tensor<2x5x7xf32> -> tensor<2x7xi32>
  return
}

// -----

func.func @act_max_steps(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{max_steps must be at least 1, got 0}}
  %a, %b, %c, %d, %e = trm.act max_steps 0 policy fixed answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x0x2xf32>, tensor<2x0x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_unknown_policy(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>) {
  // expected-error @+2 {{expected ::mlir::trm::HaltingPolicy to be one of: fixed, q_halt}}
  // expected-error @+1 {{failed to parse TRM_HaltingPolicyAttr parameter 'value'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy sometimes answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  }
  return
}

// -----

func.func @act_step_shapes(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{per-step q logits must have shape [2,4,2], got 'tensor<2x3x2xf32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy q_halt answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x3x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_predictions_shape(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{per-step predictions must have shape [2,4,5], got 'tensor<2x4x6xi32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy q_halt answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x6xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_logits_batch(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<3x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{logits batch 3 does not match state batch 2}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<3x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<3x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_steps_shape(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{steps taken must have shape [2], got 'tensor<4xi32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<4xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_region_args(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{supervision step region must take two arguments of type 'tensor<2x6x8xf32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>):
    trm.yield %s0, %s0, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_region_yield(%y: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x3xf32>) {
  // expected-error @+1 {{supervision step must yield (answer, latent, logits, q logits) of types 'tensor<2x6x8xf32>', 'tensor<2x6x8xf32>', 'tensor<2x5x3xf32>', 'tensor<2x2xf32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%z) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x3xf32>
  }
  return
}

// -----

// A step without the deep recursion has nothing to compact over and is no
// TRM step: refused here rather than crashing the lowering.
func.func @act_without_recursion(%y: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{supervision step must run exactly one trm.deep_recursion directly in its block}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy q_halt answer(%y) latent(%y) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_two_recursions(%y: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{supervision step must run exactly one trm.deep_recursion directly in its block}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%y) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    %y1, %z1 = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%s0) latent(%s1) input(%y) : tensor<2x6x8xf32> {
    ^bb0(%h: tensor<2x6x8xf32>, %inj: tensor<2x6x8xf32>):
      trm.yield %h : tensor<2x6x8xf32>
    }
    %y2, %z2 = trm.deep_recursion h_cycles 1 l_cycles 1 answer(%y1) latent(%z1) input(%y) : tensor<2x6x8xf32> {
    ^bb0(%h: tensor<2x6x8xf32>, %inj: tensor<2x6x8xf32>):
      trm.yield %h : tensor<2x6x8xf32>
    }
    trm.yield %y2, %z2, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_samples_shape(%y: tensor<2x6x8xf32>, %n: tensor<2xi32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{sample count must have shape [1], got 'tensor<2xi32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%y) samples(%n : tensor<2xi32>) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_samples_type(%y: tensor<2x6x8xf32>, %n: tensor<1xi64>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{sample count must be i32, got 'tensor<1xi64>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%y) samples(%n : tensor<1xi64>) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<1xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

func.func @act_calls_shape(%y: tensor<2x6x8xf32>, %l: tensor<2x5x3xf32>, %q: tensor<2x2xf32>) {
  // expected-error @+1 {{network call count must have shape [1], got 'tensor<2xi32>'}}
  %a, %b, %c, %d, %e = trm.act max_steps 4 policy fixed answer(%y) latent(%y) : tensor<2x6x8xf32> -> tensor<2x5x3xf32>, tensor<2x4x2xf32>, tensor<2x4x5xi32>, tensor<2xi32>, tensor<2xi32> {
  ^bb0(%s0: tensor<2x6x8xf32>, %s1: tensor<2x6x8xf32>):
    trm.yield %s0, %s1, %l, %q : tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x5x3xf32>, tensor<2x2xf32>
  }
  return
}

// -----

// A tiny expansion rounds the SwiGLU width to 0 (it crashed tiling before).
func.func @swiglu_zero_width(%h: tensor<2x6x64xf32>, %gu: tensor<0x64xf32>, %d: tensor<64x0xf32>) {
  // expected-error @+1 {{expansion 1.000000e-03 gives an intermediate width of 0 over width 64 (round(expansion * width * 2/3) must be at least 1)}}
  %m = trm.swiglu %h, %gu, %d over features expansion 0.001 : (tensor<2x6x64xf32>, tensor<0x64xf32>, tensor<64x0xf32>) -> tensor<2x6x64xf32>
  return
}

// -----

// NaN passes a `<= 0` test; the verifiers refuse it (it gave all-NaN logits).
func.func @norm_nan_eps(%x: tensor<2x6x8xf32>) {
  // expected-error @+1 {{epsilon must be positive and finite, got nan}}
  %n = trm.residual_norm %x, %x axis 2 eps 0x7FF8000000000000 : tensor<2x6x8xf32>
  return
}
