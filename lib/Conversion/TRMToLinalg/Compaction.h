//===- Compaction.h - supervision steps over the running rows only -*- C++
//-*-===//
#ifndef TRM_LIB_CONVERSION_TRMTOLINALG_COMPACTION_H
#define TRM_LIB_CONVERSION_TRMTOLINALG_COMPACTION_H

#include "trm/Dialect/TRM/IR/TRMOps.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::trm::lowering {

/// One supervision step of `op` with batch compaction, for the state
/// (`answer`, `latent`) and the halted mask: when every row runs, the step
/// runs batched; otherwise the running rows are gathered into sub-batches
/// (the `subBatches` sizes of subBatchSizes()) and only they are computed.
/// `recursion` is the step's one trm.deep_recursion (the verifier requires
/// exactly one); its input, when captured from outside the step, is
/// gathered with the rows. Halted rows keep their state; their logits and
/// q rows are zero and are discarded by the caller's select. Returns the
/// step's (answer, latent, logits, q) like the region's yield, then the
/// number of rows the step computed.
///
/// Every path is a loop, not a branch: the batched one runs 0 or 1 times,
/// each sub-batch size as many times as it is used. Inside loops (and not
/// in scf.if regions) the weight transposes stay hoistable by
/// loop-invariant code motion and the intermediates' buffers by
/// buffer-loop-hoisting, so no path allocates or transposes per step.
SmallVector<Value> compactedStep(ImplicitLocOpBuilder &b, ActOp op,
                                 DeepRecursionOp recursion, Value answer,
                                 Value latent, Value halted,
                                 int64_t subBatches);

} // namespace mlir::trm::lowering

#endif // TRM_LIB_CONVERSION_TRMTOLINALG_COMPACTION_H
