// RUN: not trm-opt %s --convert-trm-to-linalg 2>&1 | FileCheck %s
// CHECK: error: 'trm.weight' op is not bound: run trm-bind-weights first
func.func @unbound() -> tensor<4xf32> {
  %a = trm.weight "a" : tensor<4xf32>
  return %a : tensor<4xf32>
}
