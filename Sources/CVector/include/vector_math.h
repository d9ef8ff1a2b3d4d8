// Lane-wise operations on float vectors that the Swift standard library runs lane by lane on SIMD8<Float> and
// SIMD16<Float> (its squareRoot() calls the scalar square root once per lane). Clang's vector types import into
// Swift as SIMD8<Float> and SIMD16<Float>, and these functions inline into the Swift kernels as one instruction
// (vsqrtps), correctly rounded as IEEE 754 requires, so the results are the same bits as the scalar root.
#ifndef VECTOR_MATH_H
#define VECTOR_MATH_H

typedef float vector_float8_t __attribute__((ext_vector_type(8)));
typedef float vector_float16_t __attribute__((ext_vector_type(16)));

/// The square root of every lane.
static inline __attribute__((always_inline)) vector_float8_t vector_sqrt8(vector_float8_t x) {
    return __builtin_elementwise_sqrt(x);
}

/// The square root of every lane.
static inline __attribute__((always_inline)) vector_float16_t vector_sqrt16(vector_float16_t x) {
    return __builtin_elementwise_sqrt(x);
}

#endif
