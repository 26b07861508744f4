//===- TRMDialect.td - The trm dialect ---------------------*- tablegen -*-===//
#ifndef TRM_DIALECT_TD
#define TRM_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def TRM_Dialect : Dialect {
  let name = "trm";
  let cppNamespace = "::mlir::trm";
  let summary = "Tiny Recursive Models at the level of their architecture";
  let description = [{
    The `trm` dialect models a Tiny Recursive Model (TRM) as its authors
    describe it: an input embedding, one small shared network applied
    recursively (the latent recursion inside the deep recursion), output
    heads, and the adaptive-computation-time (ACT) halting loop over the
    supervision steps. Parameters are named references to checkpoint
    tensors (`trm.weight`), bound at run time.

    See docs/TRMDialectRationale.md for the design.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

class TRM_Op<string mnemonic, list<Trait> traits = []>
    : Op<TRM_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def TRM_HaltingPolicyFixed : I32EnumAttrCase<"Fixed", 0, "fixed">;
def TRM_HaltingPolicyQHalt : I32EnumAttrCase<"QHalt", 1, "q_halt">;
def TRM_HaltingPolicyEnum : I32EnumAttr<"HaltingPolicy",
    "when a sample stops its supervision steps",
    [TRM_HaltingPolicyFixed, TRM_HaltingPolicyQHalt]> {
  let cppNamespace = "::mlir::trm";
  let genSpecializedAttr = 0;
}
def TRM_HaltingPolicyAttr : EnumAttr<TRM_Dialect, TRM_HaltingPolicyEnum,
                                     "halting_policy"> {
  let assemblyFormat = "$value";
}

def TRM_MixFeatures : I32EnumAttrCase<"Features", 0, "features">;
def TRM_MixTokens : I32EnumAttrCase<"Tokens", 1, "tokens">;
def TRM_MixAxisEnum : I32EnumAttr<"MixAxis",
    "the axis a SwiGLU mixes: features (last) or tokens (mlp_t)",
    [TRM_MixFeatures, TRM_MixTokens]> {
  let cppNamespace = "::mlir::trm";
  let genSpecializedAttr = 0;
}
def TRM_MixAxisAttr : EnumAttr<TRM_Dialect, TRM_MixAxisEnum, "mix_axis"> {
  let assemblyFormat = "$value";
}

#endif // TRM_DIALECT_TD
