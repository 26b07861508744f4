//===- GPUAssignMemory.cpp - device buffers and host fences ---------------===//
//
// After outlining, the host code still allocates with memref.alloc and reads
// some buffers (the halting decision) with memref.load. Buffers that kernels
// touch must live in memory the device can bind; host accesses to them must
// wait for the kernels queued before. This pass finds those buffers by alias
// classes and rewrites their allocation, deallocation and host accesses.
//
//===----------------------------------------------------------------------===//
#include "trm/Codegen/GPU/Passes.h"
#include "trm/Support/PassCounter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::trm {
#define GEN_PASS_DEF_TRMGPUASSIGNMEMORY
#include "trm/Codegen/GPU/Passes.h.inc"
} // namespace mlir::trm

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kFence = "trmGpuFence";
constexpr llvm::StringLiteral kFree = "trmGpuFree";
constexpr llvm::StringLiteral kWriteWord = "trmGpuWriteWord";

/// Union-find over memref values that may refer to the same buffer.
class AliasClasses {
public:
  Value find(Value v) {
    auto it = parent.find(v);
    if (it == parent.end() || it->second == v)
      return v;
    Value root = find(it->second);
    parent[v] = root;
    return root;
  }
  void unite(Value a, Value b) {
    if (!isa<MemRefType>(a.getType()) || !isa<MemRefType>(b.getType()))
      return;
    Value ra = find(a), rb = find(b);
    if (ra != rb)
      parent[ra] = rb;
  }
  void uniteAll(ValueRange as, ValueRange bs) {
    for (auto [a, b] : llvm::zip(as, bs))
      unite(a, b);
  }

private:
  llvm::DenseMap<Value, Value> parent;
};

void buildClasses(ModuleOp module, AliasClasses &classes) {
  SymbolTable symbols(module);
  module.walk([&](Operation *op) {
    if (op->getParentOfType<gpu::GPUModuleOp>())
      return;
    if (auto view = dyn_cast<ViewLikeOpInterface>(op)) {
      for (Value result : op->getResults())
        classes.unite(result, view.getViewSource());
    } else if (auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(op)) {
      classes.unite(meta.getBaseBuffer(), meta.getSource());
    } else if (auto loop = dyn_cast<scf::ForOp>(op)) {
      classes.uniteAll(loop.getRegionIterArgs(), loop.getInitArgs());
      classes.uniteAll(loop.getResults(), loop.getInitArgs());
      classes.uniteAll(loop.getYieldedValues(), loop.getInitArgs());
    } else if (auto loop = dyn_cast<scf::WhileOp>(op)) {
      classes.uniteAll(loop.getBeforeArguments(), loop.getInits());
      classes.uniteAll(loop.getYieldOp().getResults(), loop.getInits());
      ValueRange forwarded = loop.getConditionOp().getArgs();
      classes.uniteAll(loop.getAfterArguments(), forwarded);
      classes.uniteAll(loop.getResults(), forwarded);
    } else if (auto branch = dyn_cast<scf::IfOp>(op)) {
      classes.uniteAll(branch.getResults(), branch.thenYield().getOperands());
      if (!branch.getElseRegion().empty())
        classes.uniteAll(branch.getResults(),
                         branch.elseYield().getOperands());
    } else if (auto select = dyn_cast<arith::SelectOp>(op)) {
      classes.unite(select.getResult(), select.getTrueValue());
      classes.unite(select.getResult(), select.getFalseValue());
    } else if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return;
      classes.uniteAll(callee.getArguments(), call.getOperands());
      callee.walk([&](func::ReturnOp ret) {
        classes.uniteAll(call.getResults(), ret.getOperands());
      });
    }
  });
}

/// Declares `void name(argTypes)` in the module if it is not there yet.
void declare(ModuleOp module, StringRef name, TypeRange argTypes) {
  if (module.lookupSymbol<func::FuncOp>(name))
    return;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto f = func::FuncOp::create(
      b, module.getLoc(), name,
      FunctionType::get(module.getContext(), argTypes, {}));
  f.setPrivate();
}

Value pointerWord(OpBuilder &b, Location loc, Value memref) {
  Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), ptr);
}

/// Vulkan kernels take buffers only. A 32-bit scalar kernel operand is
/// passed in a one-element buffer that the runtime fills in stream order
/// (vkCmdUpdateBuffer: no host wait, no race with queued kernels); the
/// kernel loads it on entry.
LogicalResult passScalarsInBuffers(ModuleOp module, int64_t &count) {
  SmallVector<gpu::LaunchFuncOp> launches;
  module.walk([&](gpu::LaunchFuncOp op) { launches.push_back(op); });
  llvm::DenseSet<Operation *> rewrittenKernels;
  for (gpu::LaunchFuncOp launch : launches) {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
        launch, launch.getKernel());
    if (!kernel)
      return launch.emitError("kernel not found");
    bool rewriteKernel = rewrittenKernels.insert(kernel).second;
    Block &entry = kernel.getBody().front();
    OpBuilder inside = OpBuilder::atBlockBegin(&entry);
    for (auto [i, operand] : llvm::enumerate(launch.getKernelOperands())) {
      Type type = operand.getType();
      if (isa<MemRefType>(type))
        continue;
      if (!type.isInteger(32) && !type.isF32())
        return launch.emitError("kernel operand #")
               << i << " has type " << type
               << "; only buffers and 32-bit scalars can be passed";
      auto bufferType = MemRefType::get({1}, type);
      Location loc = launch.getLoc();
      OpBuilder b(launch);
      declare(module, kWriteWord, {b.getI64Type(), b.getI32Type()});
      declare(module, kFree, {b.getI64Type()});
      Value buffer = gpu::AllocOp::create(
                         b, loc, bufferType, Type(), ValueRange(), ValueRange(),
                         ValueRange(), /*hostShared=*/true)
                         .getMemref();
      Value word = type.isF32()
                       ? arith::BitcastOp::create(b, loc, b.getI32Type(),
                                                  operand)
                       : operand;
      func::CallOp::create(b, loc, kWriteWord, TypeRange(),
                           ValueRange{pointerWord(b, loc, buffer), word});
      launch.getKernelOperandsMutable()[i].set(buffer);
      b.setInsertionPointAfter(launch);
      func::CallOp::create(b, loc, kFree, TypeRange(),
                           ValueRange{pointerWord(b, loc, buffer)});
      ++count;
      if (!rewriteKernel)
        continue;
      BlockArgument arg = entry.getArgument(i);
      arg.setType(bufferType);
      Value zero = arith::ConstantIndexOp::create(inside, loc, 0);
      auto load = memref::LoadOp::create(inside, loc, arg, ValueRange{zero});
      arg.replaceAllUsesExcept(load, load);
    }
    if (rewriteKernel)
      kernel.setFunctionType(FunctionType::get(
          module.getContext(), entry.getArgumentTypes(), TypeRange()));
  }
  return success();
}

/// What the host does with the buffers kernels use.
struct DeviceBufferUses {
  SmallVector<memref::AllocOp> allocs;
  SmallVector<memref::DeallocOp> deallocs;
  /// Host ops that read or write a device buffer (calls may do either).
  SmallVector<Operation *> hostAccesses;
  /// The alias classes the host reads or writes.
  llvm::DenseSet<Value> hostRoots;
};

DeviceBufferUses collectDeviceBufferUses(ModuleOp module,
                                         AliasClasses &classes) {
  llvm::DenseSet<Value> deviceRoots;
  module.walk([&](gpu::LaunchFuncOp launch) {
    for (Value operand : launch.getKernelOperands())
      if (isa<MemRefType>(operand.getType()))
        deviceRoots.insert(classes.find(operand));
  });
  auto onDevice = [&](Value v) {
    return isa<MemRefType>(v.getType()) &&
           deviceRoots.contains(classes.find(v));
  };
  DeviceBufferUses uses;
  module.walk([&](Operation *op) {
    if (op->getParentOfType<gpu::GPUModuleOp>() ||
        isa<gpu::LaunchFuncOp, gpu::GPUModuleOp>(op))
      return;
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (onDevice(alloc))
        uses.allocs.push_back(alloc);
      return;
    }
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      if (onDevice(dealloc.getMemref()))
        uses.deallocs.push_back(dealloc);
      return;
    }
    bool touchesDevice = false;
    if (auto effects = dyn_cast<MemoryEffectOpInterface>(op)) {
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &e : list)
        if (isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect()) &&
            e.getValue() && onDevice(e.getValue())) {
          touchesDevice = true;
          uses.hostRoots.insert(classes.find(e.getValue()));
        }
    } else if (isa<CallOpInterface>(op)) {
      for (Value operand : op->getOperands())
        if (onDevice(operand)) {
          touchesDevice = true;
          uses.hostRoots.insert(classes.find(operand));
        }
    }
    if (touchesDevice)
      uses.hostAccesses.push_back(op);
  });
  return uses;
}

/// Replaces `alloc` by a gpu.alloc: memory both sides can map when the host
/// reads or writes it too, otherwise device memory the host never maps.
/// Returns whether it was host-shared.
bool placeAllocation(IRRewriter &rewriter, memref::AllocOp alloc,
                     bool hostShared) {
  rewriter.setInsertionPoint(alloc);
  Location loc = alloc.getLoc();
  if (hostShared) {
    auto shared = gpu::AllocOp::create(
        rewriter, loc, alloc.getType(), /*asyncToken=*/Type(),
        /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
        alloc.getSymbolOperands(), /*hostShared=*/true);
    rewriter.replaceOp(alloc, shared.getMemref());
    return true;
  }
  // The GPU lowering takes a device allocation only in async form.
  Type token = gpu::AsyncTokenType::get(rewriter.getContext());
  Value ready =
      gpu::WaitOp::create(rewriter, loc, token, ValueRange()).getAsyncToken();
  auto device = gpu::AllocOp::create(
      rewriter, loc, alloc.getType(), token, ValueRange{ready},
      alloc.getDynamicSizes(), alloc.getSymbolOperands(),
      /*hostShared=*/false);
  gpu::WaitOp::create(rewriter, loc, Type(),
                      ValueRange{device.getAsyncToken()});
  rewriter.replaceOp(alloc, device.getMemref());
  return false;
}

struct GPUAssignMemoryPass
    : trm::impl::TRMGPUAssignMemoryBase<GPUAssignMemoryPass> {
  trm::PassCounter numDeviceAllocs{this,
      "device-allocs", "Allocations in device-only memory"};
  trm::PassCounter numSharedAllocs{this,
      "shared-allocs", "Allocations in memory the host maps too"};
  trm::PassCounter numFences{this, "fences", "Fences before host accesses"};
  trm::PassCounter numScalarArgs{this,
      "scalar-args", "Scalar kernel operands passed in buffers"};

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t scalars = 0;
    if (failed(passScalarsInBuffers(module, scalars)))
      return signalPassFailure();
    numScalarArgs += scalars;
    AliasClasses classes;
    buildClasses(module, classes);
    DeviceBufferUses uses = collectDeviceBufferUses(module, classes);

    IRRewriter rewriter(&getContext());
    for (memref::AllocOp alloc : uses.allocs) {
      if (!alloc.getType().hasStaticShape() ||
          !alloc.getType().getLayout().isIdentity()) {
        alloc.emitError("device buffers need a static shape and an identity "
                        "layout");
        return signalPassFailure();
      }
      if (placeAllocation(rewriter, alloc,
                          uses.hostRoots.contains(classes.find(alloc))))
        ++numSharedAllocs;
      else
        ++numDeviceAllocs;
    }
    if (!uses.deallocs.empty())
      declare(module, kFree, {rewriter.getI64Type()});
    for (memref::DeallocOp dealloc : uses.deallocs) {
      rewriter.setInsertionPoint(dealloc);
      Value word = pointerWord(rewriter, dealloc.getLoc(), dealloc.getMemref());
      rewriter.replaceOpWithNewOp<func::CallOp>(dealloc, kFree, TypeRange(),
                                                ValueRange{word});
    }
    if (!uses.hostAccesses.empty())
      declare(module, kFence, {});
    for (Operation *op : uses.hostAccesses) {
      rewriter.setInsertionPoint(op);
      func::CallOp::create(rewriter, op->getLoc(), kFence, TypeRange(),
                           ValueRange());
      ++numFences;
    }
  }
};
} // namespace
