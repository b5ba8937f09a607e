// The JSON writer's tensor floats as text (Sources/SluiceJSON/JSONWriter+Floats.swift drives it):
// eight values at a time in AVX-512 lanes, each as the Swift path writes it — the shortest digits
// that read back to the same Float (the Dragonbox method of ShortestDecimal+Float.swift), laid
// out as Swift's `description` lays them out — so the text is byte for byte `value.description`.
#ifndef SLUICE_FLOAT_TEXT_H
#define SLUICE_FLOAT_TEXT_H

/// Writes values[0..<8] at `out`, each with a comma before it (",0.25,-1.5e-05,…"), and returns
/// the length; or writes nothing and returns 0 when one of them is one this path leaves to the
/// caller (a subnormal, a value of 10^7 or more that is not a power of two, an infinity or NaN),
/// or when `level` is below SLUICE_CPU_AVX512. Zeros, powers of two and every other normal Float
/// below 10^7 are written.
/// `out` has room for 128 bytes: each value's 16-byte block is stored whole, the next one over
/// the last one's unused tail.
long sluice_float_text8(const float *values, unsigned char *out, int level);

#endif
