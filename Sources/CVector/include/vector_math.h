// Operations on float vectors that the Swift standard library runs lane by lane on SIMD8<Float> and SIMD16<Float>
// (its squareRoot() calls the scalar square root once per lane; its evenHalf and oddHalf go through memory). Clang's vector types import into
// Swift as SIMD8<Float> and SIMD16<Float>, and these functions inline into the Swift kernels as a few vector
// instructions. The square root is correctly rounded as IEEE 754 requires, and the sums add the same pairs in the
// same order as the Swift code they replace, so the results are the same bits.
#ifndef VECTOR_MATH_H
#define VECTOR_MATH_H

typedef float vector_float8_t __attribute__((ext_vector_type(8)));
typedef float vector_float16_t __attribute__((ext_vector_type(16)));
typedef int vector_int8_t __attribute__((ext_vector_type(8)));
typedef unsigned int vector_uint8_t __attribute__((ext_vector_type(8)));
typedef unsigned long long vector_ulong8_t __attribute__((ext_vector_type(8)));

/// The square root of every lane.
static inline __attribute__((always_inline)) vector_float8_t vector_sqrt8(vector_float8_t x) {
    return __builtin_elementwise_sqrt(x);
}

/// The square root of every lane.
static inline __attribute__((always_inline)) vector_float16_t vector_sqrt16(vector_float16_t x) {
    return __builtin_elementwise_sqrt(x);
}

/// The lane sums of the eight halves of a, b, c, d, each summed as laneSum does, ((v0 + v1) + (v2 + v3)) +
/// ((v4 + v5) + (v6 + v7)): [Σ a.low, Σ a.high, Σ b.low, Σ b.high, Σ c.low, Σ c.high, Σ d.low, Σ d.high].
/// Each level adds neighbouring lanes of all four at once (x + y = y + x exactly), so every sum is the same bits.
static inline __attribute__((always_inline)) vector_float8_t
vector_half_sums4(vector_float16_t a, vector_float16_t b, vector_float16_t c, vector_float16_t d) {
    vector_float16_t ab = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
        + __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    vector_float16_t cd = __builtin_shufflevector(c, d, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
        + __builtin_shufflevector(c, d, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    vector_float16_t quads = __builtin_shufflevector(ab, cd, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
        + __builtin_shufflevector(ab, cd, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return __builtin_shufflevector(quads, quads, 0, 2, 4, 6, 8, 10, 12, 14)
        + __builtin_shufflevector(quads, quads, 1, 3, 5, 7, 9, 11, 13, 15);
}

/// The lane sums of the low halves of s0 … s7, then of their high halves (as vector_half_sums4).
static inline __attribute__((always_inline)) vector_float16_t
vector_half_sums8(vector_float16_t s0, vector_float16_t s1, vector_float16_t s2, vector_float16_t s3,
                  vector_float16_t s4, vector_float16_t s5, vector_float16_t s6, vector_float16_t s7) {
    vector_float8_t a = vector_half_sums4(s0, s1, s2, s3), b = vector_half_sums4(s4, s5, s6, s7);
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
}

/// Eight entries of a sparse batch from eight 64-bit draws (SparseData.swift): draw d gives 0 unless its bits
/// 40…63 are below `threshold`, else (bits 16…39 as an integer k) · mul + add, a product and a sum rounded one at a
/// time (no fused multiply-add; with mul a power of two the product is exact anyway). k < 2²⁴ converts to float
/// exactly, in one instruction.
static inline __attribute__((always_inline)) vector_float8_t
vector_sparse_entries8(vector_ulong8_t draw, unsigned int threshold, float mul, float add) {
#pragma clang fp contract(off)
    vector_uint8_t presence = __builtin_convertvector(draw >> 40, vector_uint8_t);
    vector_int8_t bits = __builtin_convertvector((draw >> 16) & 0xFFFFFFull, vector_int8_t);
    vector_float8_t value = __builtin_convertvector(bits, vector_float8_t) * mul + add;
    vector_int8_t keep = presence < threshold;      /* all ones where present, else 0 */
    return __builtin_bit_cast(vector_float8_t, __builtin_bit_cast(vector_int8_t, value) & keep);
}

typedef _Bool vector_bool16_t __attribute__((ext_vector_type(16)));
typedef _Bool vector_bool8_t __attribute__((ext_vector_type(8)));

/// Bit l set where lane l of v is above zero (NaN lanes clear), as one mask: a compare into a mask register where
/// the processor has one. (Swift's any(v .> 0) reduces a mask vector lane by lane, through a call.)
static inline __attribute__((always_inline)) unsigned short vector_positive_bits16(vector_float16_t v) {
    return __builtin_bit_cast(unsigned short, __builtin_convertvector(v > 0.0f, vector_bool16_t));
}

/// As vector_positive_bits16, for eight lanes.
static inline __attribute__((always_inline)) unsigned char vector_positive_bits8(vector_float8_t v) {
    return __builtin_bit_cast(unsigned char, __builtin_convertvector(v > 0.0f, vector_bool8_t));
}

#endif
