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

#endif // TRM_DIALECT_TRM_TRANSFORMS_PASSES_TD
