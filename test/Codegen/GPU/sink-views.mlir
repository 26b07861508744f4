// RUN: trm-opt %s --pass-pipeline='builtin.module(func.func(trm-gpu-sink-views))' | FileCheck %s

// The subview and expand_shape of the packed weights move into the launch,
// so outlining passes the whole buffer; the host index crosses as i32.
// CHECK-LABEL: func @views
// CHECK: %[[N:.*]] = arith.index_cast %arg2 : index to i32
// CHECK: gpu.launch
// CHECK-DAG: arith.index_cast %[[N]] : i32 to index
// CHECK-DAG: memref.subview %arg0[64] [32] [1]
// CHECK-DAG: memref.expand_shape
// CHECK: gpu.terminator
func.func @views(%w: memref<128xf32>, %out: memref<4x8xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %sub = memref.subview %w[64] [32] [1] : memref<128xf32> to memref<32xf32, strided<[1], offset: 64>>
  %x = memref.expand_shape %sub [[0, 1]] output_shape [4, 8] : memref<32xf32, strided<[1], offset: 64>> into memref<4x8xf32, strided<[8, 1], offset: 64>>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%n, %tx] : memref<4x8xf32, strided<[8, 1], offset: 64>>
    memref.store %v, %out[%n, %tx] : memref<4x8xf32>
    gpu.terminator
  }
  return
}
