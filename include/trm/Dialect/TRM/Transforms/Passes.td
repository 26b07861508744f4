//===- Passes.td - trm dialect transformations -------------*- tablegen -*-===//
#ifndef TRM_DIALECT_TRM_TRANSFORMS_PASSES_TD
#define TRM_DIALECT_TRM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMSetHaltingPolicy : Pass<"trm-set-halting-policy", "ModuleOp"> {
  let summary = "Choose the halting policy of every trm.act loop";
  let description = [{
    One imported model serves both evaluation styles: `fixed` (the
    reference's evaluation, all supervision steps) and `q_halt` (early exit
    per sample). The runtime runs this pass to honour `--halting`.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"fixed\"",
           "fixed | q_halt (or q)">,
  ];
}

def TRMNameLocations : Pass<"trm-name-locations", "ModuleOp"> {
  let summary = "Tag every trm op's location with the op's name";
  let description = [{
    Wraps the location of every trm op in a NameLoc with the op's name
    (`trm.attention` at `model.mlir:14:10`). Every op the lowering makes
    from a trm op takes its location, so a loop, a kernel or a diagnostic
    far down the pipeline still says which trm op it came from: the Vulkan
    pipeline names its kernels after it (trm-gpu-name-kernels), and
    `trm-run --vulkan-profile` prints those names. Locations already
    named are kept.
  }];
}

def TRMStreamPuzzleEmbedding : Pass<"trm-stream-puzzle-embedding", "ModuleOp"> {
  let summary = "Give the puzzle embedding one row per batch row, filled by the runtime";
  let description = [{
    A puzzle embedding table has a row for every puzzle of the training set
    (876,406 for ARC-AGI-1, 98.5% of the checkpoint), yet a batch reads at
    most one row per sample. This pass shrinks the `trm.weight` table of
    every `trm.embed` from `[N, D]` to `[B, D]` (B: the batch), marks it
    `trm.streamed_rows = N`, and makes the embedding read row `b` for
    sample `b` (its puzzle ids operand becomes `0..B-1`, computed by a
    `linalg.generic`).
    `trm-bind-weights` records the mark in the weight table, and the
    runtime copies each sample's row of the checkpoint's table into its
    slot before the batch runs, so the table itself is neither converted,
    held in memory nor uploaded to a device: only the rows in use are.
    Tables that are not parameters are left alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // TRM_DIALECT_TRM_TRANSFORMS_PASSES_TD
