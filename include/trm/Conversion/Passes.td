//===- Passes.td - trm conversion passes -------------------*- tablegen -*-===//
#ifndef TRM_CONVERSION_PASSES_TD
#define TRM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMBindWeights : Pass<"trm-bind-weights", "ModuleOp"> {
  let summary = "Bind every trm.weight to a slice of one packed weights argument";
  let description = [{
    Appends a `tensor<N x f32>` argument to each function
    that uses parameters and replaces every `trm.weight` with a slice of it,
    created once at the function entry so each parameter is bound once and
    reused by every network call. The packing table (key, offset, shape),
    in order, is recorded as the function attribute `trm.weight_table`; the
    runtime packs a weights file by it. Offsets are multiples of 16 elements
    (64 bytes) so vector loads of a row start aligned. A parameter marked
    `trm.streamed_rows = N` (trm-stream-puzzle-embedding) keeps the mark as
    the entry's `streamed_rows`: its shape is its slots, and the runtime
    fills them per batch from the file's N rows.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def ConvertTRMToLinalg : Pass<"convert-trm-to-linalg", "ModuleOp"> {
  let summary = "Lower trm ops to linalg, tensor, arith, math and scf";
  let description = [{
    Lowers the model to upstream dialects on tensors: the halting loop to an
    `scf.while` over the supervision steps (exiting once every sample has
    halted), the deep recursion to one `scf.for` over its T*(n+1) network
    calls with a single copy of the network body, matrix products to
    `linalg.matmul` (transposed-B maps, as weights are stored [out, in]) and
    contractions, and the element-wise and normalisation work to
    `linalg.generic`. Run `trm-bind-weights` first.

    With `compact-halted` (the default), a loop over a batch of more than
    one row whose rows can stop (a `q_halt` loop, or a `trm.act` given a
    sample count) runs a supervision step batched only while every row is a
    running sample. Otherwise the running rows are gathered into
    sub-batches and only they are computed, so a halted row or a row that is
    no sample costs no network calls: the rows computed are exactly the
    running ones. The sub-batch sizes are the `sub-batches - 1` largest
    powers of two below the batch, and 1; each runs as often as it fits in
    the rows the larger ones leave. A sub-batch's copy of the step is the
    step region with every state-dependent tensor's batch dimension set to
    the sub-batch size: more sizes mean fewer, larger sub-batches and one more
    copy of the network to compile each. The act's network call count sums
    the rows each executed step loop computed.
  }];
  let options = [
    Option<"compactHalted", "compact-halted", "bool", /*default=*/"true",
           "compute a step only for the running rows once some row has "
           "halted or is no sample">,
    Option<"subBatches", "sub-batches", "int64_t", /*default=*/"2",
           "how many sub-batch sizes compaction compiles (1: rows one at a "
           "time)">,
    Option<"attentionPerSample", "attention-per-sample", "bool",
           /*default=*/"false",
           "compute attention's scores, softmax and context one sample at a "
           "time (an scf.for over the batch): one sample's [H, L, L] scores "
           "live at once instead of the batch's">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // TRM_CONVERSION_PASSES_TD
