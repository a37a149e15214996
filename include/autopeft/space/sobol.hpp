#pragma once
// A Sobol low-discrepancy sequence (Sobol', 1967) in [0, 1)^d, 32 bits per coordinate, with
// optional nested uniform (Owen) scrambling.
//
// Point i, coordinate j: x_ij = XOR over the set bits k of i of the direction number v_jk
// (direct, not Gray-code, order: the same set of points in every block of 2^m), times 2^-32.
// Every block of 2^m consecutive points starting at a multiple of 2^m is a (t, m, d)-net in
// base 2; in one coordinate each of the 2^m bins of width 2^-m holds exactly one point.
//
// Direction numbers. These are *not* Joe and Kuo's new-joe-kuo-6.21201 table. Coordinate 0 is
// the van der Corput sequence (v_k = 2^(32-k)). Coordinate j >= 1 uses the j-th primitive
// polynomial over GF(2) of degree >= 1, enumerated programmatically in order of degree and,
// within a degree, of the polynomial's value as a bit pattern (x + 1; x^2 + x + 1; x^3 + x + 1,
// x^3 + x^2 + 1; ...: the same polynomials in the same order as Joe and Kuo's table).
// Primitivity is tested by brute force: x has multiplicative order 2^s - 1 modulo p. The
// initial numbers m_1..m_s of a polynomial of degree s are m_1 = 1 and, for k >= 2, the odd
// number 2 · (h mod 2^(k-1)) + 1 < 2^k, h = splitmix64(0x5eed0000 · (j + 1) + k): fixed,
// documented and reproducible, but not optimised for two-dimensional projections as Joe and
// Kuo's are. The rest follow Bratley and Fox's recurrence (ACM TOMS 14, 1988)
//   m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^(s-1) a_{s-1} m_{k-s+1} ^ 2^s m_{k-s} ^ m_{k-s}.
// The generator accepts up to max_dimensions = 1 + 335 coordinates (primitive polynomials of
// degree 1 to 11).
//
// Scrambling (seeded): the hash-based nested uniform scramble of Laine and Karras (2011) in
// Burley's form ("Practical Hash-based Owen Scrambling", JCGT 9(4), 2020): reverse the bits,
// apply x += seed; x ^= x·c_1; ...; x ^= x·c_4 with even constants, reverse back. Each output bit
// then depends only on itself and the more significant bits, so the map is a nested
// (Owen-type) permutation: nets stay nets and 1-D stratification is kept. Every coordinate gets
// its own seed, derived from the user's seed by splitmix64.
#include <autopeft/error.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::space {

class sobol {
 public:
  static constexpr std::size_t bits = 32;
  static constexpr std::size_t max_dimensions = 336;

  /// An unscrambled sequence in `dimensions` coordinates.
  explicit sobol(std::size_t dimensions) : dims_(dimensions) { init(); }
  /// A scrambled sequence: the same for the same seed, independent for different seeds.
  sobol(std::size_t dimensions, std::uint64_t seed) : dims_(dimensions), seed_(seed) { init(); }

  [[nodiscard]] std::size_t dimensions() const { return dims_; }
  [[nodiscard]] bool scrambled() const { return seed_.has_value(); }

  /// Point i as 32-bit integers (coordinate / 2^32).
  [[nodiscard]] std::vector<std::uint32_t> integer_point(std::uint64_t i) const {
    if (i >> bits) throw error("sobol: point index " + std::to_string(i) + " exceeds the 2^32 points of the sequence");
    std::vector<std::uint32_t> x(dims_, 0);
    for (std::size_t j = 0; j < dims_; ++j) {
      std::uint32_t v = 0;
      for (std::size_t k = 0; k < bits && (i >> k); ++k)
        if ((i >> k) & 1u) v ^= directions_[j][k];
      x[j] = seed_ ? scramble(v, scramble_seeds_[j]) : v;
    }
    return x;
  }
  /// Point i in [0, 1)^d.
  [[nodiscard]] std::vector<double> point(std::uint64_t i) const {
    const auto x = integer_point(i);
    std::vector<double> u(dims_);
    for (std::size_t j = 0; j < dims_; ++j) u[j] = static_cast<double>(x[j]) * 0x1p-32;
    return u;
  }

  static std::uint64_t splitmix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  /// Primitive polynomials over GF(2) of degree >= 1, in order of degree then value; bit k is
  /// the coefficient of x^k (so x^3 + x + 1 is 0b1011). The first `count` of them.
  static std::vector<std::uint32_t> primitive_polynomials(std::size_t count) {
    std::vector<std::uint32_t> out;
    for (unsigned s = 1; out.size() < count; ++s) {
      if (s > 11) throw error("sobol: more than " + std::to_string(max_dimensions) + " dimensions are not supported");
      for (std::uint32_t p = (1u << s) | 1u; p < (2u << s) && out.size() < count; p += 2)
        if (primitive(p, s)) out.push_back(p);
    }
    return out;
  }

 private:
  static bool primitive(std::uint32_t p, unsigned s) {
    // Order of x modulo p: primitive iff it is 2^s - 1.
    const std::uint32_t period = (1u << s) - 1;
    std::uint32_t r = 1;
    for (std::uint32_t k = 1; k <= period; ++k) {
      r <<= 1;
      if (r & (1u << s)) r ^= p;
      if (r == 1) return k == period;
    }
    return false;
  }

  static std::uint32_t reverse(std::uint32_t x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    return (x >> 16) | (x << 16);
  }
  static std::uint32_t scramble(std::uint32_t x, std::uint32_t seed) {
    x = reverse(x);
    x += seed;
    x ^= x * 0x6c50b47cu;
    x ^= x * 0xb82f1e52u;
    x ^= x * 0xc7afe638u;
    x ^= x * 0x8d22f6e6u;
    return reverse(x);
  }

  void init() {
    if (dims_ == 0) throw error("sobol: the number of dimensions must be positive");
    if (dims_ > max_dimensions)
      throw error("sobol: " + std::to_string(dims_) + " dimensions requested; at most " +
                  std::to_string(max_dimensions) + " are supported");
    directions_.assign(dims_, {});
    for (std::size_t k = 0; k < bits; ++k) directions_[0][k] = 1u << (bits - 1 - k);
    const auto polys = primitive_polynomials(dims_ - 1);
    for (std::size_t j = 1; j < dims_; ++j) {
      const std::uint32_t p = polys[j - 1];
      unsigned s = 0;
      while ((p >> (s + 1)) != 0) ++s;
      std::array<std::uint64_t, bits + 1> m{};  // m[1..bits]
      for (unsigned k = 1; k <= s && k <= bits; ++k)
        m[k] = k == 1 ? 1 : 2 * (splitmix64(0x5eed0000ull * (j + 1) + k) % (std::uint64_t{1} << (k - 1))) + 1;
      for (unsigned k = s + 1; k <= bits; ++k) {
        std::uint64_t v = m[k - s] ^ (m[k - s] << s);
        for (unsigned i = 1; i < s; ++i)
          if ((p >> (s - i)) & 1u) v ^= m[k - i] << i;
        m[k] = v;
      }
      for (unsigned k = 1; k <= bits; ++k) directions_[j][k - 1] = static_cast<std::uint32_t>(m[k] << (bits - k));
    }
    if (seed_) {
      scramble_seeds_.resize(dims_);
      for (std::size_t j = 0; j < dims_; ++j)
        scramble_seeds_[j] = static_cast<std::uint32_t>(splitmix64(*seed_ ^ splitmix64(j + 1)) >> 32);
    }
  }

  std::size_t dims_;
  std::optional<std::uint64_t> seed_;
  std::vector<std::array<std::uint32_t, bits>> directions_;
  std::vector<std::uint32_t> scramble_seeds_;
};

}  // namespace autopeft::space
