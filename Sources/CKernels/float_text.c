// Tensor floats as JSON text, eight at a time (float_text.h). The method is the Swift path's,
// ShortestDecimal.floatDigits then JSONWriter.writeNormalFloat, read there for why each step
// holds; here each step is done in the eight 64-bit lanes of a ZMM register at once. The Swift
// path is a chain of about 100 dependent instructions per number, scheduled one number (or four)
// at a time; in lanes the same chain serves eight, and each lane's choices are masks. The only
// branches are per group, on cases most groups do not have.
//
// Per lane:
// - digits: k from the exponent, 10^-k from the table (a gather), z = the upper bound scaled,
//   its integer part divided by 100, and the last digit chosen as `smallerDivisorDigit` does.
//   The cases at the interval's bounds (about 1 lane in 100, `floatDigitsAtBounds`) are masks
//   too, computed only for a group that has one: no lane leaves the vectors. Powers of two (a
//   lopsided interval: the binade below is twice as dense) take their text from a table of all
//   254, generated with the powers of ten.
// - text: the leading digits as eight bytes (`eight_digit_values`), shifted over their leading
//   zeros with the last digit after them; the count of digits that matter from the bytes' zero
//   tail. Three layouts ("12.5", "0.00125", "1.25e-05") are each made as 16 bytes (two words)
//   and one kept; then the comma and the sign go in front.
// - store: each lane's 16 bytes go down whole at the running offset, the next lane's over the
//   last one's unused tail.
#include "float_text.h"

#include "cpu_level.h"

#include <stdint.h>
#include <string.h>

#include "float_powers.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512cd"), always_inline)) static inline

AVX512 __m512i set64(uint64_t v) { return _mm512_set1_epi64((long long)v); }

// JSONWriter.eightDigitValues in each lane: the eight decimal digits of x (< 10^8) as byte values,
// the first in the low byte. The products stay inside 32-bit halves, so 32-bit multiplies do.
AVX512 __m512i eight_digit_values(__m512i x) {
    const __m512i high = _mm512_srli_epi64(_mm512_mul_epu32(x, set64(3518437209u)), 45);  // x / 10^4
    const __m512i low = _mm512_sub_epi64(x, _mm512_mul_epu32(high, set64(10000)));
    __m512i y = _mm512_or_si512(high, _mm512_slli_epi64(low, 32));
    const __m512i hundreds =
        _mm512_and_si512(_mm512_srli_epi64(_mm512_mullo_epi32(y, set64(10486 | 10486ull << 32)), 20), set64(0x0000007F0000007Full));
    y = _mm512_or_si512(hundreds, _mm512_slli_epi64(_mm512_sub_epi64(y, _mm512_mullo_epi32(hundreds, set64(100 | 100ull << 32))), 16));
    const __m512i tens =
        _mm512_and_si512(_mm512_srli_epi64(_mm512_mullo_epi32(y, set64(103 | 103ull << 32)), 10), set64(0x000F000F000F000Full));
    return _mm512_or_si512(tens, _mm512_slli_epi64(_mm512_sub_epi64(y, _mm512_mullo_epi32(tens, set64(10 | 10ull << 32))), 8));
}

// ShortestDecimal.smallerDivisorDigit in each lane: the last digit of y's nearest integer from
// r (r ≥ delta, up to 100), `low` the low 64 bits of 2c·cache.
AVX512 __m512i smaller_divisor_digit(__m512i r, __m512i delta, __m512i low, __m512i beta) {
    const __m512i dist = _mm512_add_epi64(_mm512_sub_epi64(r, _mm512_srli_epi64(delta, 1)), set64(5));
    const __m512i digit = _mm512_srli_epi64(_mm512_mul_epu32(dist, set64(103)), 10);  // dist / 10, dist < 1029
    const __mmask8 multiple_of_ten = _mm512_cmpeq_epu64_mask(dist, _mm512_mul_epu32(digit, set64(10)));
    const __m512i y_parity = _mm512_and_si512(_mm512_srlv_epi64(low, _mm512_sub_epi64(set64(64), beta)), set64(1));
    const __mmask8 y_is_integer = _mm512_testn_epi64_mask(_mm512_srlv_epi64(low, _mm512_sub_epi64(set64(32), beta)), set64(0xFFFFFFFF));
    const __m512i approx_y_parity = _mm512_and_si512(_mm512_xor_si512(dist, set64(5)), set64(1));
    const __m512i adjust = _mm512_or_si512(
        _mm512_xor_si512(y_parity, approx_y_parity), _mm512_maskz_and_epi64(y_is_integer, digit, set64(1)));
    return _mm512_mask_sub_epi64(digit, multiple_of_ten, digit, adjust);
}

__attribute__((target("avx512f,avx512cd"))) static long text8_avx512(const float *values, unsigned char *out) {
    // The index arithmetic in 32-bit lanes.
    const __m256i b32 = _mm256_loadu_si256((const __m256i *)values);
    const __m256i biased32 = _mm256_and_si256(_mm256_srli_epi32(b32, 23), _mm256_set1_epi32(0xFF));
    const __m256i fraction32 = _mm256_and_si256(b32, _mm256_set1_epi32(0x7FFFFF));
    const __m256i q32 = _mm256_sub_epi32(biased32, _mm256_set1_epi32(150));
    const __m256i minus_k32 = _mm256_sub_epi32(_mm256_srai_epi32(_mm256_mullo_epi32(q32, _mm256_set1_epi32(315653)), 20), _mm256_set1_epi32(1));
    const __m256i e32 = _mm256_sub_epi32(_mm256_setzero_si256(), minus_k32);
    const __m256i beta32 = _mm256_add_epi32(q32, _mm256_srai_epi32(_mm256_mullo_epi32(e32, _mm256_set1_epi32(1741647)), 19));

    const __m512i bits = _mm512_cvtepu32_epi64(b32);
    const __m512i biased = _mm512_cvtepu32_epi64(biased32);
    const __m512i fraction = _mm512_cvtepu32_epi64(fraction32);
    // Lanes for the method: normal and not a power of two. Zeros and powers of two are written
    // too; anything else is the caller's.
    const __mmask8 finite_normal = _mm512_cmpneq_epu64_mask(biased, _mm512_setzero_si512()) & _mm512_cmpneq_epu64_mask(biased, set64(0xFF));
    const __mmask8 fraction_zero = _mm512_testn_epi64_mask(fraction, fraction);
    const __mmask8 normal = finite_normal & ~fraction_zero;
    const __mmask8 power_of_two = finite_normal & fraction_zero;
    const __mmask8 zero = _mm512_testn_epi64_mask(bits, set64(0x7FFFFFFF));
    if ((__mmask8)(finite_normal | zero) != 0xFF) return 0;

    // Other lanes read the table's first entry.
    const __m256i index = _mm256_and_si256(_mm256_add_epi32(e32, _mm256_set1_epi32(31)), _mm512_castsi512_si256(_mm512_maskz_set1_epi32(normal, -1)));
    const __m512i cache = _mm512_i32gather_epi64(index, (const void *)float_powers, 8);
    const __m512i cache_high = _mm512_srli_epi64(cache, 32);
    const __m512i beta = _mm512_cvtepi32_epi64(beta32);
    const __m512i c = _mm512_or_si512(fraction, set64(1u << 23));
    const __m512i two_c = _mm512_slli_epi64(c, 1);
    const __m512i delta = _mm512_srlv_epi64(cache, _mm512_sub_epi64(set64(63), beta));
    const __m512i x = _mm512_sllv_epi64(_mm512_or_si512(two_c, set64(1)), beta);
    const __m512i z = _mm512_add_epi64(_mm512_mul_epu32(x, cache_high), _mm512_srli_epi64(_mm512_mul_epu32(x, cache), 32));
    const __m512i zi = _mm512_srli_epi64(z, 32);
    const __mmask8 z_is_integer = _mm512_testn_epi64_mask(z, set64(0xFFFFFFFF));
    __m512i significand = _mm512_srli_epi64(_mm512_mul_epu32(zi, set64(1374389535)), 37);  // zi / 100
    const __m512i r = _mm512_sub_epi64(zi, _mm512_mul_epu32(significand, set64(100)));
    const __mmask8 closed = _mm512_testn_epi64_mask(c, set64(1));

    // smallerDivisorDigit, then 0 where the multiple of 100 is inside (r < delta).
    const __m512i low = _mm512_add_epi64(_mm512_mul_epu32(two_c, cache), _mm512_slli_epi64(_mm512_mul_epu32(two_c, cache_high), 32));
    __m512i last = _mm512_maskz_mov_epi64(_mm512_cmpge_epu64_mask(r, delta), smaller_divisor_digit(r, delta, low, beta));

    // floatDigitsAtBounds's two cases, about one lane in a hundred, so a group in twelve takes
    // this branch (computed for every group, they made the kernel 7.4 ns a value instead of
    // 5.8): r = delta, where the lower bound's fraction decides whether the multiple of 100 is
    // inside; and an excluded upper bound that is a multiple of 100, one step down.
    const __mmask8 r_is_delta = _mm512_cmpeq_epu64_mask(r, delta);
    const __mmask8 step_down = _mm512_cmpeq_epu64_mask(r, _mm512_setzero_si512()) & z_is_integer & ~closed;
    if (normal & (r_is_delta | step_down)) {
        // r = delta: inside when the lower bound's integer part is odd, or it is an integer and
        // the bounds are in the interval.
        const __m512i two_c_less = _mm512_sub_epi64(two_c, set64(1));
        const __m512i low_bound = _mm512_add_epi64(
            _mm512_mul_epu32(two_c_less, cache), _mm512_slli_epi64(_mm512_mul_epu32(two_c_less, cache_high), 32));
        const __mmask8 bound_odd = _mm512_test_epi64_mask(_mm512_srlv_epi64(low_bound, _mm512_sub_epi64(set64(64), beta)), set64(1));
        const __mmask8 bound_integer =
            _mm512_testn_epi64_mask(_mm512_srlv_epi64(low_bound, _mm512_sub_epi64(set64(32), beta)), set64(0xFFFFFFFF));
        last = _mm512_maskz_mov_epi64(~(r_is_delta & (bound_odd | (bound_integer & closed))), last);
        // The step down: (significand - 1)·10 + smallerDivisorDigit at r = 100, split again.
        const __m512i stepped = _mm512_add_epi64(
            _mm512_mul_epu32(_mm512_sub_epi64(significand, set64(1)), set64(10)), smaller_divisor_digit(set64(100), delta, low, beta));
        const __m512i stepped_leading = _mm512_srli_epi64(_mm512_mul_epu32(stepped, set64(0xCCCCCCCDu)), 35);  // / 10
        significand = _mm512_mask_mov_epi64(significand, step_down, stepped_leading);
        last = _mm512_mask_sub_epi64(last, step_down, stepped, _mm512_mul_epu32(stepped_leading, set64(10)));
    }

    // The text: leading's 6 to 8 digits shifted over their leading zero bytes, the last digit
    // after them, the ninth digit apart (the last one when there were no zeros).
    const __mmask8 below7 = _mm512_cmplt_epu64_mask(significand, set64(10000000));
    const __mmask8 below6 = _mm512_cmplt_epu64_mask(significand, set64(1000000));
    const __m512i zeroes8 = _mm512_add_epi64(_mm512_maskz_mov_epi64(below7, set64(8)), _mm512_maskz_mov_epi64(below6, set64(8)));
    const __m512i digits = _mm512_or_si512(
        _mm512_srlv_epi64(eight_digit_values(significand), zeroes8), _mm512_sllv_epi64(last, _mm512_sub_epi64(set64(64), zeroes8)));
    const __m512i ninth = _mm512_maskz_mov_epi64(~below7, last);
    // Digits that matter: nine when the ninth is not zero, else eight less the zero tail.
    const __m512i count = _mm512_mask_mov_epi64(
        _mm512_sub_epi64(set64(8), _mm512_srli_epi64(_mm512_lzcnt_epi64(digits), 3)), _mm512_test_epi64_mask(ninth, ninth), set64(9));
    // The exponent of the leading digit: exponent (minus_k + 1) + 8 - zeroes.
    const __m512i leading = _mm512_sub_epi64(
        _mm512_add_epi64(_mm512_cvtepi32_epi64(minus_k32), set64(9)), _mm512_srli_epi64(zeroes8, 3));
    if (_mm512_mask_cmpge_epi64_mask(normal, leading, set64(7))) return 0;
    const __m512i text = _mm512_or_si512(digits, set64(0x3030303030303030ull));
    const __m512i ninth_text = _mm512_add_epi64(ninth, set64('0'));
    const __m512i ones = set64(~0ull);
    const __m512i leading8 = _mm512_slli_epi64(leading, 3);

    // 0 ≤ leading ≤ 6, "123.45": bytes 0...leading digits, the point, the digits after it one
    // place right, the last two digits in the second word.
    const __m512i integer_mask = _mm512_srlv_epi64(ones, _mm512_sub_epi64(set64(56), leading8));
    __m512i lo = _mm512_or_si512(
        _mm512_or_si512(_mm512_and_si512(text, integer_mask), _mm512_sllv_epi64(set64('.'), _mm512_add_epi64(leading8, set64(8)))),
        _mm512_andnot_si512(_mm512_or_si512(_mm512_slli_epi64(integer_mask, 8), set64(0xFF)), _mm512_slli_epi64(text, 8)));
    __m512i hi = _mm512_or_si512(_mm512_srli_epi64(text, 56), _mm512_slli_epi64(ninth_text, 8));
    __m512i length = _mm512_max_epi64(_mm512_add_epi64(count, set64(1)), _mm512_add_epi64(leading, set64(3)));

    // -4 ≤ leading ≤ -1, "0.00125": "0." and zeros, the digits from byte o = 1 - leading (2...5).
    const __mmask8 fraction_only = _mm512_cmplt_epi64_mask(leading, _mm512_setzero_si512());
    const __m512i o8 = _mm512_sub_epi64(set64(8), leading8);
    lo = _mm512_mask_or_epi64(lo, fraction_only, _mm512_andnot_si512(_mm512_sllv_epi64(ones, o8), set64(0x3030303030302E30ull)),
                              _mm512_sllv_epi64(text, o8));
    hi = _mm512_mask_or_epi64(hi, fraction_only, _mm512_srlv_epi64(text, _mm512_sub_epi64(set64(64), o8)), _mm512_sllv_epi64(ninth_text, o8));
    length = _mm512_mask_add_epi64(length, fraction_only, count, _mm512_srli_epi64(o8, 3));

    // leading < -4, "1.25e-05": the first digit, the point and the others when there are any,
    // then "e-XX" at byte `end`, over whatever was there.
    const __mmask8 scientific = _mm512_cmplt_epi64_mask(leading, set64(-4));
    if (scientific) {
        const __m512i e = _mm512_sub_epi64(_mm512_setzero_si512(), leading);
        const __m512i e_tens = _mm512_srli_epi64(_mm512_mul_epu32(e, set64(103)), 10);
        const __m512i e_ones = _mm512_sub_epi64(e, _mm512_mul_epu32(e_tens, set64(10)));
        const __m512i exponent = _mm512_or_si512(
            set64('e' | '-' << 8 | '0' << 16 | (uint64_t)'0' << 24),
            _mm512_or_si512(_mm512_slli_epi64(e_tens, 16), _mm512_slli_epi64(e_ones, 24)));
        const __m512i end = _mm512_mask_mov_epi64(_mm512_add_epi64(count, set64(1)), _mm512_cmpeq_epu64_mask(count, set64(1)), set64(1));
        const __m512i end8 = _mm512_slli_epi64(end, 3);
        // Shifts by 64 or more give 0, so the masks and the exponent's two words need no cases.
        const __m512i s_lo = _mm512_or_si512(
            _mm512_and_si512(text, set64(0xFF)),
            _mm512_or_si512(set64('.' << 8), _mm512_slli_epi64(_mm512_andnot_si512(set64(0xFF), text), 8)));
        const __m512i s_hi = _mm512_or_si512(_mm512_srli_epi64(text, 56), _mm512_slli_epi64(ninth_text, 8));
        // Bytes below `end` kept, the exponent's 32 bits from byte `end` (1 or 3...10), in the
        // low word, spilled into the high one, or wholly in it.
        const __m512i e_lo = _mm512_or_si512(_mm512_andnot_si512(_mm512_sllv_epi64(ones, end8), s_lo), _mm512_sllv_epi64(exponent, end8));
        const __m512i past_lo8 = _mm512_sub_epi64(end8, set64(64));
        const __m512i kept_hi = _mm512_andnot_si512(_mm512_sllv_epi64(ones, _mm512_max_epi64(past_lo8, _mm512_setzero_si512())), s_hi);
        const __m512i e_hi = _mm512_or_si512(
            kept_hi, _mm512_or_si512(_mm512_sllv_epi64(exponent, past_lo8), _mm512_srlv_epi64(exponent, _mm512_sub_epi64(set64(64), end8))));
        lo = _mm512_mask_mov_epi64(lo, scientific, e_lo);
        hi = _mm512_mask_mov_epi64(hi, scientific, e_hi);
        length = _mm512_mask_add_epi64(length, scientific, end, set64(4));
    }

    // Powers of two, whose rounding interval is lopsided: their text from the table, the length
    // in its 16th byte (shifted out below with the rest of the second word's top).
    if (power_of_two) {
        const __m256i at = _mm256_slli_epi32(biased32, 1);
        lo = _mm512_mask_i32gather_epi64(lo, power_of_two, at, (const void *)float_power_of_two_text, 8);
        hi = _mm512_mask_i32gather_epi64(hi, power_of_two, _mm256_add_epi32(at, _mm256_set1_epi32(1)), (const void *)float_power_of_two_text, 8);
        length = _mm512_mask_srli_epi64(length, power_of_two, hi, 56);
    }

    // Zeros: "0.0".
    lo = _mm512_mask_mov_epi64(lo, zero, set64('0' | '.' << 8 | '0' << 16));
    length = _mm512_mask_mov_epi64(length, zero, set64(3));

    // The comma and the sign in front: a shift of the two words by 8 or 16 bits.
    const __m512i negative = _mm512_srli_epi64(bits, 31);
    const __m512i shift = _mm512_add_epi64(set64(8), _mm512_slli_epi64(negative, 3));
    const __m512i prefix = _mm512_mask_mov_epi64(set64(','), _mm512_test_epi64_mask(negative, negative), set64(',' | '-' << 8));
    const __m512i out_lo = _mm512_or_si512(_mm512_sllv_epi64(lo, shift), prefix);
    const __m512i out_hi = _mm512_or_si512(_mm512_sllv_epi64(hi, shift), _mm512_srlv_epi64(lo, _mm512_sub_epi64(set64(64), shift)));
    length = _mm512_add_epi64(length, _mm512_add_epi64(negative, set64(1)));

    uint64_t words_lo[8], words_hi[8], lengths[8];
    _mm512_storeu_si512(words_lo, out_lo);
    _mm512_storeu_si512(words_hi, out_hi);
    _mm512_storeu_si512(lengths, length);
    unsigned char *p = out;
    for (int i = 0; i < 8; i++) {
        memcpy(p, &words_lo[i], 8);
        memcpy(p + 8, &words_hi[i], 8);
        p += lengths[i];
    }
    return p - out;
}
#endif

long sluice_float_text8(const float *values, unsigned char *out, int level) {
#if defined(__x86_64__)
    if (level >= SLUICE_CPU_AVX512) return text8_avx512(values, out);
#endif
    (void)values;
    (void)out;
    (void)level;
    return 0;
}
