//===- MemRefCopyToLinalg.cpp - memref.copy as a linalg op ----------------===//
#include "trm/Codegen/Common/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMMEMREFCOPYTOLINALG
#include "trm/Codegen/Common/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
/// What finalize-memref-to-llvm copies with memcpy.
bool isContiguous(Type type) {
  auto memref = cast<MemRefType>(type);
  return memref.getLayout().isIdentity() ||
         memref::isStaticShapeAndContiguousRowMajor(memref);
}

struct MemRefCopyToLinalgPass
    : trm::impl::TRMMemRefCopyToLinalgBase<MemRefCopyToLinalgPass> {
  using TRMMemRefCopyToLinalgBase::TRMMemRefCopyToLinalgBase;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) {
      if (!stridedOnly || !isContiguous(op.getSource().getType()) ||
          !isContiguous(op.getTarget().getType()))
        copies.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp op : copies) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                  op.getTarget());
    }
  }
};
} // namespace
