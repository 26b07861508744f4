//===- trm-opt.cpp - mlir-opt for the trm dialect -------------------------===//
//
// Registers the trm dialect, its passes and pipelines, and the upstream
// dialects and passes the pipelines use, on top of MlirOptMain (so every
// --mlir-* flag works).
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "trm/Dialect/TRM/IR/TRMDialect.h"
#include "trm/Pipelines/Pipelines.h"

int main(int argc, char **argv) {
  mlir::trm::registerTRMPasses();
  mlir::trm::registerTRMPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registry.insert<mlir::trm::TRMDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "trm optimizer driver\n", registry));
}
