// RUN: trm-opt %s --split-input-file --trm-gpu-collapse-elementwise | FileCheck %s

// A [B, S, N] residual add becomes a [B*S, N] op on collapsed views, like
// the matmul that feeds it; the views sit right after their buffers.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func @residual
// CHECK: %[[X:.*]] = memref.alloc() : memref<4x25x64xf32>
// CHECK-NEXT: memref.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : memref<4x25x64xf32> into memref<100x64xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : memref<100x64xf32>, memref<100x64xf32>) outs(%{{.*}} : memref<100x64xf32>)
func.func @residual(%t: memref<100x64xf32>, %o: memref<4x25x64xf32>) {
  %x = memref.alloc() : memref<4x25x64xf32>
  %e = memref.expand_shape %t [[0, 1], [2]] output_shape [4, 25, 64] : memref<100x64xf32> into memref<4x25x64xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %e : memref<4x25x64xf32>, memref<4x25x64xf32>) outs(%o : memref<4x25x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A view whose leading dimensions are not contiguous (the first 25 of 50
// rows of each batch) is left alone, and so is a reduction over a loop
// other than the innermost.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#outer = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func @left_alone
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
func.func @left_alone(%x: memref<4x50x64xf32>, %o: memref<4x25x64xf32>, %r: memref<4x64xf32>) {
  %v = memref.subview %x[0, 0, 0] [4, 25, 64] [1, 1, 1] : memref<4x50x64xf32> to memref<4x25x64xf32, strided<[3200, 64, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v : memref<4x25x64xf32, strided<[3200, 64, 1]>>) outs(%o : memref<4x25x64xf32>) {
  ^bb0(%a: f32, %c: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #outer], iterator_types = ["parallel", "reduction", "parallel"]} ins(%o : memref<4x25x64xf32>) outs(%r : memref<4x64xf32>) {
  ^bb0(%a: f32, %c: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduction over the innermost loop (a norm's sum of squares) collapses
// onto [rows, n] and [rows] views, like the element-wise ops that read its
// result.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @row_reduction
// CHECK-DAG: memref.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : memref<4x25x64xf32> into memref<100x64xf32>
// CHECK-DAG: memref.collapse_shape %arg1 {{\[\[}}0, 1]] : memref<4x25xf32> into memref<100xf32>
// CHECK: iterator_types = ["parallel", "reduction"]
func.func @row_reduction(%x: memref<4x25x64xf32>, %r: memref<4x25xf32>) {
  linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<4x25x64xf32>) outs(%r : memref<4x25xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.mulf %a, %a : f32
    %s = arith.addf %m, %c : f32
    linalg.yield %s : f32
  }
  return
}
