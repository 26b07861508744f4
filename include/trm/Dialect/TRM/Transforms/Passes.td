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

#endif // TRM_DIALECT_TRM_TRANSFORMS_PASSES_TD
