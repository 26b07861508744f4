// RUN: trm-opt %s --split-input-file --trm-bind-weights --verify-diagnostics | FileCheck %s

// Each distinct key is bound once, at the entry, to a slice of one packed
// argument; offsets are 16-element aligned; repeated uses share the slice.
// CHECK-LABEL: func.func @two_keys
// CHECK-SAME: (%{{.*}}: tensor<2xf32>, %[[W:.*]]: tensor<48xf32>)
// CHECK-SAME: trm.weight_table = [{key = "a", offset = 0 : i64, shape = array<i64: 4, 5>}, {key = "b", offset = 32 : i64, shape = array<i64: 3>}]
// CHECK: %[[A:.*]] = tensor.extract_slice %[[W]][0] [20] [1] : tensor<48xf32> to tensor<20xf32>
// CHECK: %[[A2:.*]] = tensor.expand_shape %[[A]] {{\[\[}}0, 1]] output_shape [4, 5] : tensor<20xf32> into tensor<4x5xf32>
// CHECK: %[[B:.*]] = tensor.extract_slice %[[W]][32] [3] [1] : tensor<48xf32> to tensor<3xf32>
// CHECK-NOT: trm.weight
// CHECK: return %[[A2]], %[[B]], %[[A2]]
func.func @two_keys(%x: tensor<2xf32>) -> (tensor<4x5xf32>, tensor<3xf32>, tensor<4x5xf32>) {
  %a = trm.weight "a" : tensor<4x5xf32>
  %b = trm.weight "b" : tensor<3xf32>
  %a2 = trm.weight "a" : tensor<4x5xf32>
  return %a, %b, %a2 : tensor<4x5xf32>, tensor<3xf32>, tensor<4x5xf32>
}

// -----

func.func @conflicting_types() -> (tensor<4xf32>, tensor<2x2xf32>) {
  %a = trm.weight "a" : tensor<4xf32>
  // expected-error @+1 {{parameter 'a' is used with two types: 'tensor<4xf32>' and 'tensor<2x2xf32>'}}
  %b = trm.weight "a" : tensor<2x2xf32>
  return %a, %b : tensor<4xf32>, tensor<2x2xf32>
}

// -----

func.func @not_f32() -> tensor<4xf16> {
  // expected-error @+1 {{only f32 parameters can be bound, got 'tensor<4xf16>'}}
  %a = trm.weight "a" : tensor<4xf16>
  return %a : tensor<4xf16>
}

// -----

// A streamed table's uses must agree on the mark.
func.func @half_streamed() -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %a = trm.weight "t" {trm.streamed_rows = 10 : i64} : tensor<2x4xf32>
  // expected-error @+1 {{parameter 't' is streamed in one use and not in another}}
  %b = trm.weight "t" : tensor<2x4xf32>
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}
