//===- Utils.cpp - helpers of the GPU kernel passes -----------------------===//
#include "trm/Codegen/GPU/Utils.h"
#include "trm/Codegen/Common/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVAttributes.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"

mlir::MemRefType mlir::trm::workgroupMemRefType(ArrayRef<int64_t> shape,
                                                Type elementType) {
  auto workgroup = spirv::StorageClassAttr::get(elementType.getContext(),
                                                spirv::StorageClass::Workgroup);
  return MemRefType::get(shape, elementType, MemRefLayoutAttrInterface(),
                         workgroup);
}

std::optional<llvm::SmallVector<int64_t>>
mlir::trm::staticTripCounts(scf::ParallelOp loop, bool normalized) {
  SmallVector<int64_t> counts;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    if (normalized && (*l != 0 || *s != 1 || *u <= 0))
      return std::nullopt;
    counts.push_back(llvm::divideCeil(std::max<int64_t>(*u - *l, 0), *s));
  }
  return counts;
}

mlir::gpu::LaunchOp mlir::trm::createLaunch(OpBuilder &b, Location loc,
                                            std::array<int64_t, 3> grid,
                                            std::array<int64_t, 3> block) {
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto launch = gpu::LaunchOp::create(b, loc, index(grid[0]), index(grid[1]),
                                      index(grid[2]), index(block[0]),
                                      index(block[1]), index(block[2]));
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

llvm::SmallVector<mlir::Value>
mlir::trm::delinearize(OpBuilder &b, Location loc, Value linear,
                       ArrayRef<int64_t> counts) {
  SmallVector<Value> indices(counts.size());
  for (int64_t d = counts.size() - 1; d > 0; --d) {
    Value count = arith::ConstantIndexOp::create(b, loc, counts[d]);
    indices[d] = arith::RemUIOp::create(b, loc, linear, count);
    linear = arith::DivUIOp::create(b, loc, linear, count);
  }
  if (!counts.empty())
    indices[0] = linear;
  return indices;
}

bool mlir::trm::allocationRoots(Value v, SmallPtrSetImpl<Operation *> &roots) {
  v = viewRoot(v);
  if (auto select = v.getDefiningOp<arith::SelectOp>())
    return allocationRoots(select.getTrueValue(), roots) &&
           allocationRoots(select.getFalseValue(), roots);
  Operation *def = v.getDefiningOp();
  if (def && isa<memref::AllocOp, memref::AllocaOp, gpu::AllocOp>(def)) {
    roots.insert(def);
    return true;
  }
  return false;
}
