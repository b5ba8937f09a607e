// FP32 matrix product against a B packed once (issue #19): the dense layers' weights are known
// at load, so they are laid out there in the order the micro-kernels read them, and every
// request streams them once, in place, at any number of rows (one row is a matrix-vector
// product bound by memory; many rows reuse each panel from L1).
#ifndef SLUICE_GEMM_H
#define SLUICE_GEMM_H

#include <stddef.h>

/// Floats in the packed form of a k × n matrix: n rounded up to a multiple of 16, times k.
/// The caller checks that this product fits its limits before allocating.
size_t sluice_sgemm_packed_count(size_t k, size_t n);

/// Packs the k × n matrix B (row-major with leading dimension ldb; with trans_b, `b` holds Bᵀ,
/// n × k) into `packed` (sluice_sgemm_packed_count(k, n) floats): blocks of 256 rows of B,
/// each a run of panels of 16 columns stored row by row, the columns past n zero.
void sluice_sgemm_pack_b(int trans_b, size_t k, size_t n, const float *b, size_t ldb, float *packed);

/// C = alpha·A·B + beta·C with B packed by sluice_sgemm_pack_b. A(i, p) is a[i·a_row + p·a_col]
/// (a_row = lda, a_col = 1 for a row-major A; the reverse for Aᵀ); C is m × n with leading
/// dimension ldc. With beta 0, C is only written. m, n, k > 0 (the caller handles empty
/// products); sizes are trusted, checked by the caller. Never fails: A is copied into the
/// thread's 192 KiB block, or, when that cannot be allocated, into 24 KiB on the stack
/// (`sluice_sgemm_packed_on_stack`), so the packed B is all a product needs.
void sluice_sgemm_packed(size_t m, size_t n, size_t k, float alpha, const float *a, size_t a_row, size_t a_col,
                         const float *packed, float beta, float *c, size_t ldc, int level);

/// sluice_sgemm_packed through its fallback, whatever the heap would give: A in blocks of 12
/// rows on the caller's stack (24 KiB). Called by sluice_sgemm_packed, and by the tests.
void sluice_sgemm_packed_on_stack(size_t m, size_t n, size_t k, float alpha, const float *a, size_t a_row,
                                  size_t a_col, const float *packed, float beta, float *c, size_t ldc, int level);

#endif
