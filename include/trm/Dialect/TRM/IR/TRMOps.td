//===- TRMOps.td - trm dialect operations ------------------*- tablegen -*-===//
#ifndef TRM_OPS_TD
#define TRM_OPS_TD

include "trm/Dialect/TRM/IR/TRMDialect.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def TRM_FloatTensor : RankedTensorOf<[AnyFloat]>;
def TRM_IntTensor : RankedTensorOf<[AnySignlessInteger]>;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def TRM_WeightOp : TRM_Op<"weight", [Pure]> {
  let summary = "a named model parameter, bound at run time";
  let description = [{
    References one parameter tensor of the checkpoint by its canonical key
    (the state_dict key without the `_orig_mod.`, `model.` and `inner.`
    prefixes). The value is not in the IR: the runtime binds it from a
    weights file, so one compiled model serves every checkpoint of the same
    architecture.

    ```mlir
    %w = trm.weight "lm_head.weight" : tensor<11x512xf32>
    ```
  }];
  let arguments = (ins StrAttr:$key);
  let results = (outs TRM_FloatTensor:$result);
  let assemblyFormat = "$key attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Input embedding and state initialisation
//===----------------------------------------------------------------------===//

def TRM_EmbedOp : TRM_Op<"embed", [Pure, AttrSizedOperandSegments]> {
  let summary = "token + puzzle-prefix + position embedding, scaled by sqrt(D)";
  let description = [{
    Computes the network input `x` of a TRM:
    `e = embed_tokens[tokens]`; with a puzzle table, the `prefix_len` first
    positions hold `puzzle_emb[puzzle_ids]` zero-padded to `prefix_len * D`
    and viewed `[prefix_len, D]`; with learned positions
    `e = 0.707106781 * (e + embed_pos)`; finally `x = sqrt(D) * e`.
    RoPE is not applied here but in `trm.attention`.

    ```mlir
    %x = trm.embed %tokens table(%emb) puzzle(%ids, %pemb) prefix 16
        : (tensor<8x81xi32>, tensor<11x512xf32>, tensor<8xi32>, tensor<1000x512xf32>)
        -> tensor<8x97x512xf32>
    ```
  }];
  let arguments = (ins TRM_IntTensor:$tokens,
                       TRM_FloatTensor:$embed_tokens,
                       Optional<TRM_IntTensor>:$puzzle_ids,
                       Optional<TRM_FloatTensor>:$puzzle_emb,
                       Optional<TRM_FloatTensor>:$embed_pos,
                       I64Attr:$prefix_len);
  let results = (outs TRM_FloatTensor:$result);
  let assemblyFormat = [{
    $tokens `table` `(` $embed_tokens `)`
    (`puzzle` `(` $puzzle_ids^ `,` $puzzle_emb `)`)?
    (`positions` `(` $embed_pos^ `)`)?
    `prefix` $prefix_len attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def TRM_InitStateOp : TRM_Op<"init_state", [Pure]> {
  let summary = "broadcast a stored [D] vector (H_init / L_init) to [B, L, D]";
  let arguments = (ins TRM_FloatTensor:$init);
  let results = (outs TRM_FloatTensor:$result);
  let assemblyFormat = "$init attr-dict `:` type($init) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The shared network's pieces
//===----------------------------------------------------------------------===//

def TRM_AttentionOp : TRM_Op<"attention", [Pure]> {
  let summary = "non-causal multi-head self-attention, optional RoPE";
  let description = [{
    `qkv = hidden @ qkv_weight^T` viewed `[B, L, 3H, hd]` (heads `0..H-1`
    are q, `H..2H-1` k, `2H..3H-1` v); with `rope`, rotary embeddings of
    base `rope_theta` over positions `0..L-1` rotate q and k; then
    `softmax(q k^T / sqrt(hd)) v` and `o_proj`. Returns the branch output,
    not the residual sum.
  }];
  let arguments = (ins TRM_FloatTensor:$hidden, TRM_FloatTensor:$qkv_weight,
                       TRM_FloatTensor:$o_weight, I64Attr:$num_heads,
                       OptionalAttr<F64Attr>:$rope_theta);
  let results = (outs TRM_FloatTensor:$result);
  let assemblyFormat = [{
    $hidden `,` $qkv_weight `,` $o_weight `heads` $num_heads
    (`rope` `(` $rope_theta^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def TRM_SwiGLUOp : TRM_Op<"swiglu", [Pure]> {
  let summary = "SwiGLU MLP over the features or (mlp_t) over the tokens";
  let description = [{
    `[g, u] = h @ gate_up^T; out = (silu(g) * u) @ down^T` with the
    intermediate width `round_up(round(expansion * W * 2/3), 256)`, where W
    is the mixed axis: D for `over features`, L for `over tokens` (the
    token-mixing MLP of `mlp_t`, applied to the transposed `[B, D, L]`
    hidden state and transposed back). Returns the branch output.
  }];
  let arguments = (ins TRM_FloatTensor:$hidden, TRM_FloatTensor:$gate_up_weight,
                       TRM_FloatTensor:$down_weight, TRM_MixAxisAttr:$mix,
                       F64Attr:$expansion);
  let results = (outs TRM_FloatTensor:$result);
  let assemblyFormat = [{
    $hidden `,` $gate_up_weight `,` $down_weight `over` `` $mix
    `expansion` $expansion attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def TRM_ResidualNormOp : TRM_Op<"residual_norm",
    [Pure, AllTypesMatch<["input", "branch", "result"]>]> {
  let summary = "post-norm residual: rms_norm(input + branch) over one axis";
  let description = [{
    `y = s * rsqrt(mean(s^2 over axis) + epsilon)` with `s = input + branch`,
    computed in f32, no learnable scale. `axis` is 2 (features) after
    attention and SwiGLU, 1 (tokens) after the token-mixing SwiGLU of
    `mlp_t`.
  }];
  let arguments = (ins TRM_FloatTensor:$input, TRM_FloatTensor:$branch,
                       I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs TRM_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $branch `axis` $axis `eps` $epsilon attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recursion and halting
//===----------------------------------------------------------------------===//

def TRM_DeepRecursionOp : TRM_Op<"deep_recursion",
    [RecursiveMemoryEffects, SingleBlock,
     AllTypesMatch<["answer", "latent", "input", "new_answer", "new_latent"]>]> {
  let summary = "one supervision step's deep recursion around the shared network";
  let description = [{
    The region is the shared network `net(h, inj)` (the reference's
    `L_level`); its block arguments are `h` and `inj` and it yields the new
    `h`. The op runs the TRM recursion with it:

    ```
    repeat h_cycles (T) times:
      repeat l_cycles (n) times: latent = net(latent, answer + input)
      answer = net(answer, latent)
    ```

    and returns `(answer, latent)`. One region serves every call, which is
    what makes the network shared: lowering keeps it one loop body, never
    T*(n+1) copies.
  }];
  let arguments = (ins TRM_FloatTensor:$answer, TRM_FloatTensor:$latent,
                       TRM_FloatTensor:$input, I64Attr:$h_cycles,
                       I64Attr:$l_cycles);
  let results = (outs TRM_FloatTensor:$new_answer,
                      TRM_FloatTensor:$new_latent);
  let regions = (region SizedRegion<1>:$network);
  let assemblyFormat = [{
    `h_cycles` $h_cycles `l_cycles` $l_cycles
    `answer` `(` $answer `)` `latent` `(` $latent `)` `input` `(` $input `)`
    `:` type($answer) attr-dict-with-keyword $network
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def TRM_LMHeadOp : TRM_Op<"lm_head", [Pure]> {
  let summary = "answer logits: (answer @ lm_head^T) without the prefix positions";
  let arguments = (ins TRM_FloatTensor:$answer, TRM_FloatTensor:$weight,
                       I64Attr:$prefix_len);
  let results = (outs TRM_FloatTensor:$logits);
  let assemblyFormat = [{
    $answer `,` $weight `prefix` $prefix_len attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def TRM_QHeadOp : TRM_Op<"q_head", [Pure]> {
  let summary = "halting logits (q_halt, q_continue) from the first position";
  let arguments = (ins TRM_FloatTensor:$answer, TRM_FloatTensor:$weight,
                       TRM_FloatTensor:$bias);
  let results = (outs TRM_FloatTensor:$q_logits);
  let assemblyFormat = [{
    $answer `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def TRM_ArgmaxOp : TRM_Op<"argmax", [Pure]> {
  let summary = "index of the largest logit along the last axis (first on ties)";
  let arguments = (ins TRM_FloatTensor:$logits);
  let results = (outs TRM_IntTensor:$result);
  let assemblyFormat = "$logits attr-dict `:` type($logits) `->` type($result)";
  let hasVerifier = 1;
}

def TRM_ActOp : TRM_Op<"act", [RecursiveMemoryEffects, SingleBlock,
    AllTypesMatch<["answer", "latent"]>]> {
  let summary = "the ACT halting loop over the supervision steps";
  let description = [{
    Runs up to `max_steps` supervision steps. The region is one step: its
    block arguments are the carried `(answer, latent)` state and it yields
    the new state, the step's logits `[B, S, V]` and q logits `[B, 2]`
    (`q_halt`, `q_continue`).

    Policies:
    - `fixed`: every sample runs all `max_steps` steps (the reference's
      evaluation); the outputs are the last step's.
    - `q_halt`: a sample stops after the first step whose `q_halt > 0` (or
      at `max_steps`); its outputs are that step's. Samples are independent,
      so a halted sample's later steps need not be computed.

    The batch `B` is a maximum, not a requirement: with `samples` (a
    `tensor<1xi32>` holding `N`, `0 <= N <= B`), only rows `0..N-1` are
    samples. The other rows count as halted from the start: they are never
    computed, their steps are 0 and their records keep the fill values. So
    one compiled model serves any number of samples, in batches of at most
    `B`, with work proportional to the samples it is given.

    The step region must run exactly one `trm.deep_recursion`, directly in
    its block: the lowering runs a step on a subset of the rows by slicing
    that recursion's input (the only batched value a step reads from
    outside), and without a recursion there is no step to speak of.

    Results: the final logits `[B, S, V]`; per step and sample the q logits
    `[B, K, 2]` and the predictions `[B, K, S]` (argmax of that step's
    logits); the number of steps each sample took `[B]`; and the network
    calls the lowered loop executed, `[1]`: the sum over its step
    executions of the rows each ran times `h_cycles * (l_cycles + 1)`, as
    counted by the loops that run them (what lets a caller see that rows
    which are not samples, or have halted, cost nothing). Entries for steps
    after a sample halted are 0 (q logits) and -1 (predictions).
  }];
  let arguments = (ins TRM_FloatTensor:$answer, TRM_FloatTensor:$latent,
                       Optional<TRM_IntTensor>:$samples,
                       I64Attr:$max_steps, TRM_HaltingPolicyAttr:$policy);
  let results = (outs TRM_FloatTensor:$logits, TRM_FloatTensor:$step_q_logits,
                      TRM_IntTensor:$step_predictions, TRM_IntTensor:$steps,
                      TRM_IntTensor:$network_calls);
  let regions = (region SizedRegion<1>:$step);
  let assemblyFormat = [{
    `max_steps` $max_steps `policy` `` $policy
    `answer` `(` $answer `)` `latent` `(` $latent `)`
    (`samples` `(` $samples^ `:` type($samples) `)`)? `:` type($answer)
    `->` type($logits) `,` type($step_q_logits) `,` type($step_predictions)
    `,` type($steps) `,` type($network_calls) attr-dict-with-keyword $step
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def TRM_YieldOp : TRM_Op<"yield", [Pure, Terminator,
    ParentOneOf<["DeepRecursionOp", "ActOp"]>, ReturnLike]> {
  let summary = "terminates the network region and the supervision-step region";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // TRM_OPS_TD
