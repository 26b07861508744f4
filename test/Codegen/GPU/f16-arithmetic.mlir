// RUN: trm-opt %s --split-input-file --trm-gpu-f16-arithmetic --canonicalize | FileCheck %s

// Products and element-wise arithmetic run in f16 between f32 loads and
// stores;
// the truncf/extf pairs between consecutive f16 ops fold away. The sum with
// a loop-carried accumulator stays f32 (mixed precision).
// CHECK-LABEL: gpu.func @dot
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK: %[[A:.*]] = memref.load
// CHECK: %[[B:.*]] = memref.load
// CHECK: %[[A16:.*]] = arith.truncf %[[A]] : f32 to f16
// CHECK: %[[B16:.*]] = arith.truncf %[[B]] : f32 to f16
// CHECK: %[[P16:.*]] = arith.mulf %[[A16]], %[[B16]] : f16
// CHECK: %[[P:.*]] = arith.extf %[[P16]] : f16 to f32
// CHECK: arith.addf %[[ACC]], %[[P]] : f32
// Math functions stay f32.
// CHECK: %[[E:.*]] = math.exp %{{.*}} : f32
// CHECK: %[[E16:.*]] = arith.truncf %[[E]] : f32 to f16
// CHECK: %[[N16:.*]] = arith.negf %[[E16]] : f16
// CHECK: %[[H16:.*]] = arith.divf %[[N16]], %{{.*}} : f16
// CHECK-NOT: arith.extf
// CHECK: %[[H:.*]] = arith.extf %[[H16]] : f16 to f32
// CHECK: memref.store %[[H]]
gpu.module @kernels {
  gpu.func @dot(%a: memref<8xf32>, %b: memref<8xf32>, %out: memref<1xf32>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %zero = arith.constant 0.0 : f32
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %x = memref.load %a[%k] : memref<8xf32>
      %y = memref.load %b[%k] : memref<8xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    %e = math.exp %sum : f32
    %n = arith.negf %e : f32
    %h = arith.divf %n, %sum : f32
    memref.store %h, %out[%c0] : memref<1xf32>
    gpu.return
  }
}

// -----

// Host functions and non-kernel device functions are left alone.
// CHECK-LABEL: gpu.func @helper
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
gpu.module @other {
  gpu.func @helper(%x: f32) -> f32 {
    %y = arith.mulf %x, %x : f32
    gpu.return %y : f32
  }
}

// -----

// A sum of partial sums marked trm.accumulation (a row reduction's
// combining tree) stays f32 too; an unmarked one goes to f16.
// CHECK-LABEL: gpu.func @partial_sums
// CHECK: arith.addf %{{.*}}, %{{.*}} {trm.accumulation} : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f16
gpu.module @kernels {
  gpu.func @partial_sums(%s: memref<2xf32>, %out: memref<2xf32>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = memref.load %s[%c0] : memref<2xf32>
    %b = memref.load %s[%c1] : memref<2xf32>
    %t = arith.addf %a, %b {trm.accumulation} : f32
    memref.store %t, %out[%c0] : memref<2xf32>
    %u = arith.addf %a, %b : f32
    memref.store %u, %out[%c1] : memref<2xf32>
    gpu.return
  }
}
