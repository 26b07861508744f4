//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//
//
// In the order the pipelines run them (lib/Pipelines/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TRM_CODEGEN_CPU_PASSES_TD
#define TRM_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TRMCPUPackWeights : Pass<"trm-cpu-pack-weights", "func::FuncOp"> {
  let summary = "Pack loop-invariant matmul operands into contiguous panels";
  let description = [{
    A matmul C[m, n] += A[m, k] * B[k, n] whose B is defined outside the
    loop around it (the weights, once per run) reads B one `n-tile` wide row
    segment per k: a row-length stride between consecutive k, a new page
    every few k for the large weights, so every k waits on a cache miss.
    This pass packs such a B once, where it is defined, into panels
    P[n / n-tile, k, n-tile] (a linalg.transpose of its expanded form) and
    rewrites the matmul over P as a contraction with loops (m, nb, j, k), its
    result collapsed back to [m, n]. `trm-cpu-tile` then tiles j by
    `n-tile` and keeps the panel loop outermost, so the register tile reads
    P in address order. Only when n is a multiple of `n-tile` with at least
    two panels; other contractions are left as they are.

    With `bf16`, such a matmul (over an even k, in f32) multiplies in bf16
    and accumulates in f32: B is rounded to bf16 (nearest even) as it is
    packed, into panels of pairs P[n / n-tile, k / 2, n-tile, 2], and A is
    rounded into pairs [m, k / 2, 2] before the contraction, whose loops are
    (m, nb, j, kk, p). One register tile row then reads, per kk, the 2 x
    n-tile bf16 values that AVX512-BF16's pair dot product takes
    (`trm-cpu-lower-vectors`), and the weights take half the memory traffic.
    With `bf16` too, a weight applied on the left of each sample,
    C[b, m, n] += W[m, k] X[b, k, n] with W defined outside the loop (mlp_t's
    token mixing over the sequence), multiplies in bf16: W is rounded into
    pairs [m, k / 2, 2] once, where it is defined, X into pairs
    [b, k / 2, n, 2] before each use, an odd k padded with one zero, and the
    contraction's loops are (b, m, n, kk, p).
  }];
  let options = [
    Option<"nTile", "n-tile", "int64_t", /*default=*/"32",
           "panel width: trm-cpu-tile's n-tile">,
    Option<"bf16", "bf16", "bool", /*default=*/"false",
           "products in bf16 (operands rounded to nearest even), sums in "
           "f32">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TRMCPUTile : Pass<"trm-cpu-tile", "func::FuncOp"> {
  let summary = "Tile linalg ops into register-sized blocks (CPU)";
  let description = [{
    Contractions (linalg.matmul and contraction-shaped linalg.generic) are
    tiled so one tile is an `m-tile x n-tile` block of accumulators updated
    by outer products over `k`: batch dims 1, innermost m dim `m-tile`,
    innermost n dim `n-tile`, other m/n dims 1, every k dim 1 (but the
    pair dimension of bf16 operands, kept whole); the tile
    loop over the innermost n dim is outermost, so one n-tile wide panel of
    the right-hand side (the weights) stays in cache while every m tile
    streams past it. Other linalg
    ops get one vector along their innermost loop. Before that, a
    contraction whose innermost n extent splits evenly into `threads` chunks
    of at least `n-tile` is split into an scf.forall over the chunks (one
    per thread, later an OpenMP parallel loop); a contraction over
    `trm-cpu-pack-weights`' panels splits over the panels. Element-wise ops
    and reductions of at least 16384 points are split the same way along
    their first parallel dimension that splits evenly, so that the other
    threads do not wait while one computes them. Every tile loop is then
    peeled into full tiles and one partial tile, so all tiles have static
    shapes and `trm-cpu-vectorize` needs no masks. Ops that read tensors at
    computed indices (gathers) are left alone. Runs on tensors.
  }];
  let options = [
    Option<"mTile", "m-tile", "int64_t", /*default=*/"8",
           "rows of the accumulator block">,
    Option<"nTile", "n-tile", "int64_t", /*default=*/"32",
           "columns of the accumulator block (a multiple of the SIMD width)">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "elements per vector for non-contraction ops">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "split contractions across this many threads (0: the physical "
           "cores of the compiling machine, 1: no split)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TRMCPUVectorize : Pass<"trm-cpu-vectorize", "func::FuncOp"> {
  let summary = "Vectorize the static, register-sized linalg tiles";
  let description = [{
    Vectorizes every linalg op on tensors with a static iteration space of at
    most `max-volume` points (the tiles `trm-cpu-tile` made) that is not a
    gather, to vector transfers and n-D vector arithmetic. A tile the
    vectorizer cannot express (its precondition fails, e.g. the two-output
    argmax reduction) is left as a linalg op, which later becomes scalar
    loops: every shape compiles, only such tiles run unvectorized.
    Contractions become vector.contract (outer products, FMAs); one written
    as a linalg.generic whose body is exactly acc + a * b is made a
    linalg.contract first, since a generic vectorizes to a multiply and a
    reduction that LLVM does not fuse.
  }];
  let options = [
    Option<"maxVolume", "max-volume", "int64_t", /*default=*/"512",
           "largest iteration space (points) to vectorize: an 8 x 32 "
           "register tile over a pair of bf16 k">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

def TRMCPULowerVectors : Pass<"trm-cpu-lower-vectors", "func::FuncOp"> {
  let summary = "Lower n-D vector ops to outer products and 1-D vectors";
  let description = [{
    Turns multiply + reduce chains into vector.contract, drops unit vector
    dimensions, lowers contractions to outer products (broadcast + FMA) and
    the remaining n-D broadcasts, reductions, transposes and shape casts to
    1-D vector ops that convert-vector-to-llvm maps to SIMD instructions.

    Contractions of bf16 operands into f32 (`trm-cpu-pack-weights`' bf16
    panels) become, with `bf16-dot-product`, AVX512-BF16 pair dot products
    (x86vector.avx512.dot: one instruction multiplies 16 pairs and adds both
    products of each to its f32 accumulator); the rest, or all of them
    without the option (a target without AVX512-BF16), multiply their
    operands extended to f32, which is exact; without it, conversions
    between f32 and bf16 also become integer arithmetic, since LLVM would
    call a compiler-rt routine for them that the runtime does not link.
  }];
  let options = [
    Option<"bf16DotProduct", "bf16-dot-product", "bool", /*default=*/"false",
           "bf16 pair contractions as AVX512-BF16 dot products">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::x86vector::X86VectorDialect"];
}

def TRMCPUApproximateMath : Pass<"trm-cpu-approximate-math", "func::FuncOp"> {
  let summary = "Vector math.exp as a polynomial (stays SIMD)";
  let description = [{
    LLVM has no vector exp: it scalarizes `llvm.exp` on vectors into one libm
    call per lane, which made SiLU and softmax the largest serial cost of a
    network call. This pass rewrites `math.exp` on f32 vectors into upstream's
    polynomial approximation (range reduction + a degree-5 polynomial, within
    a few ulp), built from SIMD arithmetic. Scalar exps are left to libm.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif // TRM_CODEGEN_CPU_PASSES_TD
