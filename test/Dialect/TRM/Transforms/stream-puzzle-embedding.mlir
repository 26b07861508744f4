// RUN: trm-opt %s --split-input-file --trm-stream-puzzle-embedding --verify-diagnostics | FileCheck %s
// RUN: trm-opt %s --split-input-file --trm-stream-puzzle-embedding --trm-bind-weights --verify-diagnostics | FileCheck %s --check-prefix=BIND

// The table shrinks from its 1000 rows to one slot per batch row, marked
// with the rows it streams from, and the embedding reads slot b for sample
// b: the ids operand becomes 0..B-1.
// CHECK-LABEL: func.func @streamed
// CHECK: %[[TABLE:.*]] = trm.weight "puzzle_emb.weights" {trm.streamed_rows = 1000 : i64} : tensor<3x16xf32>
// CHECK: %[[SLOTS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3xi32>)
// CHECK: linalg.index 0
// CHECK: arith.index_cast %{{.*}} : index to i32
// CHECK: trm.embed %{{.*}} table(%{{.*}}) puzzle(%[[SLOTS]], %[[TABLE]]) prefix 2 : (tensor<3x6xi32>, tensor<5x8xf32>, tensor<3xi32>, tensor<3x16xf32>) -> tensor<3x8x8xf32>
// The weight table keeps the mark: the runtime fills the 3 slots from a
// 1000-row table by puzzle id.
// BIND-LABEL: func.func @streamed
// BIND-SAME: trm.weight_table = [{key = "embed_tokens.embedding_weight", offset = 0 : i64, shape = array<i64: 5, 8>}, {key = "puzzle_emb.weights", offset = 48 : i64, shape = array<i64: 3, 16>, streamed_rows = 1000 : i64}]
func.func @streamed(%tokens: tensor<3x6xi32>, %ids: tensor<3xi32>) -> tensor<3x8x8xf32> {
  %emb = trm.weight "embed_tokens.embedding_weight" : tensor<5x8xf32>
  %pemb = trm.weight "puzzle_emb.weights" : tensor<1000x16xf32>
  %x = trm.embed %tokens table(%emb) puzzle(%ids, %pemb) prefix 2 : (tensor<3x6xi32>, tensor<5x8xf32>, tensor<3xi32>, tensor<1000x16xf32>) -> tensor<3x8x8xf32>
  return %x : tensor<3x8x8xf32>
}

// -----

// A table with fewer rows than the batch still gets a slot per batch row.
// CHECK-LABEL: func.func @small_table
// CHECK: trm.weight "puzzle_emb.weights" {trm.streamed_rows = 1 : i64} : tensor<4x8xf32>
func.func @small_table(%tokens: tensor<4x6xi32>, %ids: tensor<4xi32>) -> tensor<4x7x8xf32> {
  %emb = trm.weight "embed_tokens.embedding_weight" : tensor<5x8xf32>
  %pemb = trm.weight "puzzle_emb.weights" : tensor<1x8xf32>
  %x = trm.embed %tokens table(%emb) puzzle(%ids, %pemb) prefix 1 : (tensor<4x6xi32>, tensor<5x8xf32>, tensor<4xi32>, tensor<1x8xf32>) -> tensor<4x7x8xf32>
  return %x : tensor<4x7x8xf32>
}

// -----

// A table that is not a parameter is not the runtime's to fill.
// CHECK-LABEL: func.func @argument_table
// CHECK-NOT: linalg.generic
// CHECK: trm.embed %{{.*}} puzzle(%arg1, %arg2)
func.func @argument_table(%tokens: tensor<2x6xi32>, %ids: tensor<2xi32>, %pemb: tensor<9x8xf32>) -> tensor<2x7x8xf32> {
  %emb = trm.weight "embed_tokens.embedding_weight" : tensor<5x8xf32>
  %x = trm.embed %tokens table(%emb) puzzle(%ids, %pemb) prefix 1 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<2xi32>, tensor<9x8xf32>) -> tensor<2x7x8xf32>
  return %x : tensor<2x7x8xf32>
}

// -----

// Slots hold one embedding's samples: a table read elsewhere too cannot be
// streamed.
func.func @shared_table(%tokens: tensor<2x6xi32>, %ids: tensor<2xi32>) -> (tensor<2x7x8xf32>, tensor<9x8xf32>) {
  %emb = trm.weight "embed_tokens.embedding_weight" : tensor<5x8xf32>
  // expected-error @+1 {{puzzle embedding table 'puzzle_emb.weights' has users besides one trm.embed: its rows cannot be streamed}}
  %pemb = trm.weight "puzzle_emb.weights" : tensor<9x8xf32>
  %x = trm.embed %tokens table(%emb) puzzle(%ids, %pemb) prefix 1 : (tensor<2x6xi32>, tensor<5x8xf32>, tensor<2xi32>, tensor<9x8xf32>) -> tensor<2x7x8xf32>
  return %x, %pemb : tensor<2x7x8xf32>, tensor<9x8xf32>
}
