// RUN: trm-opt %s --trm-gpu-assign-memory | FileCheck %s

// A buffer a kernel touches (through a loop-carried value) and the host
// reads is allocated in memory both can map and freed through the runtime;
// the host read of it waits on a fence first; a host-only buffer stays malloc'd; the scalar operand is
// passed in a one-element buffer written in stream order.
// CHECK-LABEL: func @host
// CHECK: %[[DEV:.*]] = gpu.alloc  host_shared () : memref<4xf32>
// CHECK: %[[HOSTONLY:.*]] = memref.alloc() : memref<2xindex>
// CHECK: scf.for
// CHECK: %[[ARG:.*]] = gpu.alloc  host_shared () : memref<1xi32>
// CHECK: call @trmGpuWriteWord
// CHECK: gpu.launch_func @kernels::@k {{.*}} args(%{{.*}} : memref<4xf32>, %[[ARG]] : memref<1xi32>)
// CHECK: call @trmGpuFree
// CHECK: call @trmGpuFence()
// CHECK-NEXT: memref.load
// CHECK-NOT: call @trmGpuFence
// CHECK: memref.store %{{.*}}, %[[HOSTONLY]]
// CHECK: call @trmGpuFree
// CHECK: memref.dealloc %[[HOSTONLY]]
// CHECK-LABEL: func @kernel_only
// CHECK: %[[T:.*]] = gpu.wait async
// CHECK: %[[K:.*]], %[[T2:.*]] = gpu.alloc async [%[[T]]] () : memref<4xf32>
// CHECK: gpu.wait [%[[T2]]]
// CHECK-NOT: trmGpuFence
// CHECK: gpu.launch_func @kernels::@k {{.*}} args(%[[K]] : memref<4xf32>
// CHECK: gpu.func @k(%{{.*}}: memref<4xf32>, %[[S:.*]]: memref<1xi32>) kernel
// CHECK: memref.load %[[S]][%{{.*}}] : memref<1xi32>
module attributes {gpu.container_module} {
  func.func @host(%n: i32) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %a = memref.alloc() : memref<4xf32>
    %h = memref.alloc() : memref<2xindex>
    %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%buf = %a) -> (memref<4xf32>) {
      gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buf : memref<4xf32>, %n : i32)
      scf.yield %buf : memref<4xf32>
    }
    %v = memref.load %r[%c0] : memref<4xf32>
    memref.store %c1, %h[%c0] : memref<2xindex>
    memref.dealloc %a : memref<4xf32>
    memref.dealloc %h : memref<2xindex>
    return %v : f32
  }
  // Only kernels touch this buffer: device memory the host never maps
  // (async form, as the GPU lowering requires), no fence.
  func.func @kernel_only(%n: i32) {
    %c1 = arith.constant 1 : index
    %k = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%k : memref<4xf32>, %n : i32)
    memref.dealloc %k : memref<4xf32>
    return
  }
  gpu.module @kernels {
    gpu.func @k(%m: memref<4xf32>, %s: i32) kernel {
      %f = arith.sitofp %s : i32 to f32
      %c0 = arith.constant 0 : index
      memref.store %f, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
}
