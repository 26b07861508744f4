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
    (64 bytes) so vector loads of a row start aligned.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numParameters", "parameters", "Distinct parameters bound">,
  ];
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

    With `compact-halted` (the default), a `q_halt` loop over a batch of more
    than one sample runs a supervision step one sample at a time over the
    running samples once at most half of the batch is still running: a
    halted sample then costs no network calls. The one-sample copy of the
    step is the step region with every state-dependent tensor's batch
    dimension set to 1.
  }];
  let options = [
    Option<"compactHalted", "compact-halted", "bool", /*default=*/"true",
           "under q_halt, run the step only on the running samples once at "
           "most half of the batch is running">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // TRM_CONVERSION_PASSES_TD
