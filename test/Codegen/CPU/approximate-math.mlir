// RUN: trm-opt %s --split-input-file --trm-cpu-approximate-math | FileCheck %s

// A vector exp becomes SIMD arithmetic (range reduction by ln 2, a
// polynomial, the exponent put back with a shift): no math.exp is left for
// LLVM to scalarize into libm calls.
// CHECK-LABEL: func @vector_exp
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK: arith.shli {{.*}} : vector<16xi32>
// CHECK-NOT: math.exp
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// Scalar exps stay libm calls (exact and as fast).
// CHECK-LABEL: func @scalar_exp
// CHECK: math.exp %{{.*}} : f32
func.func @scalar_exp(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}
