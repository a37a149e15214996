#pragma once
// A small PNG reader for tests that look at screenshots: the IHDR header of any PNG, and the
// pixels of 8-bit, non-interlaced greyscale, grey+alpha, RGB and RGBA images (what Chromium
// writes). Inflate follows Mark Adler's puff.c (zlib's reference decoder), so the tests need
// no zlib. Not for untrusted input at speed; it checks bounds and throws std::runtime_error.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::testing {

struct png_header {
  std::uint32_t width = 0, height = 0;
  int bit_depth = 0, colour_type = 0, interlace = 0;
};

struct png_image {
  std::uint32_t width = 0, height = 0;
  int channels = 0;                  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  std::vector<std::uint8_t> pixels;  // row-major, `channels` bytes per pixel
  /// The pixel's colour as RGB (alpha ignored).
  [[nodiscard]] std::array<std::uint8_t, 3> rgb(std::uint32_t x, std::uint32_t y) const {
    const std::uint8_t* p = pixels.data() + (static_cast<std::size_t>(y) * width + x) * channels;
    if (channels <= 2) return {p[0], p[0], p[0]};
    return {p[0], p[1], p[2]};
  }
};

namespace png_detail {

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open the PNG");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

class inflater {
 public:
  inflater(const std::uint8_t* data, std::size_t size) : in_(data), size_(size) {}

  std::vector<std::uint8_t> run() {
    for (bool last = false; !last;) {
      last = bits(1) == 1;
      switch (bits(2)) {
        case 0: stored(); break;
        case 1: fixed(); break;
        case 2: dynamic(); break;
        default: fail("invalid deflate block type 3");
      }
    }
    return std::move(out_);
  }

 private:
  struct huffman {
    std::array<short, 16> count{};
    std::vector<short> symbol;
  };

  [[noreturn]] static void fail(const std::string& what) {
    throw std::runtime_error("PNG inflate: " + what);
  }

  int bits(int need) {
    std::uint32_t val = bitbuf_;
    while (bitcnt_ < need) {
      if (pos_ >= size_) fail("compressed data ends early");
      val |= std::uint32_t{in_[pos_++]} << bitcnt_;
      bitcnt_ += 8;
    }
    bitbuf_ = val >> need;
    bitcnt_ -= need;
    return static_cast<int>(val & ((1u << need) - 1u));
  }

  void stored() {
    bitbuf_ = 0;
    bitcnt_ = 0;
    if (pos_ + 4 > size_) fail("stored block header cut off");
    const unsigned len = in_[pos_] | (in_[pos_ + 1] << 8);
    const unsigned nlen = in_[pos_ + 2] | (in_[pos_ + 3] << 8);
    if (len != (~nlen & 0xFFFFu)) fail("stored block length check failed");
    pos_ += 4;
    if (pos_ + len > size_) fail("stored block cut off");
    out_.insert(out_.end(), in_ + pos_, in_ + pos_ + len);
    pos_ += len;
  }

  static huffman construct(const short* length, int n) {
    huffman h;
    h.symbol.assign(static_cast<std::size_t>(n), 0);
    for (int s = 0; s < n; ++s) h.count[static_cast<std::size_t>(length[s])]++;
    std::array<short, 16> offs{};
    for (int len = 1; len < 15; ++len) offs[len + 1] = static_cast<short>(offs[len] + h.count[len]);
    for (int s = 0; s < n; ++s)
      if (length[s] != 0) h.symbol[static_cast<std::size_t>(offs[length[s]]++)] = static_cast<short>(s);
    return h;
  }

  int decode(const huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= 15; ++len) {
      code |= bits(1);
      const int count = h.count[static_cast<std::size_t>(len)];
      if (code - count < first) return h.symbol[static_cast<std::size_t>(index + (code - first))];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    fail("invalid Huffman code");
  }

  void codes(const huffman& lencode, const huffman& distcode) {
    static constexpr short lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                        31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr short dbase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                        33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                        1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int symbol = decode(lencode);
      if (symbol < 256) {
        out_.push_back(static_cast<std::uint8_t>(symbol));
        continue;
      }
      if (symbol == 256) return;
      symbol -= 257;
      if (symbol >= 29) fail("invalid length symbol");
      const std::size_t len = static_cast<std::size_t>(lbase[symbol] + bits(lext[symbol]));
      const int dsym = decode(distcode);
      if (dsym >= 30) fail("invalid distance symbol");
      const std::size_t dist = static_cast<std::size_t>(dbase[dsym] + bits(dext[dsym]));
      if (dist > out_.size()) fail("distance reaches before the start of the data");
      for (std::size_t i = 0; i < len; ++i) out_.push_back(out_[out_.size() - dist]);
    }
  }

  void fixed() {
    static const auto tables = [] {
      short lengths[288];
      int s = 0;
      for (; s < 144; ++s) lengths[s] = 8;
      for (; s < 256; ++s) lengths[s] = 9;
      for (; s < 280; ++s) lengths[s] = 7;
      for (; s < 288; ++s) lengths[s] = 8;
      short dist[30];
      for (auto& d : dist) d = 5;
      return std::pair{construct(lengths, 288), construct(dist, 30)};
    }();
    codes(tables.first, tables.second);
  }

  void dynamic() {
    static constexpr short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    const int nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
    if (nlen > 286 || ndist > 30) fail("bad code counts");
    short lengths[320] = {};
    for (int i = 0; i < ncode; ++i) lengths[order[i]] = static_cast<short>(bits(3));
    const huffman lencode0 = construct(lengths, 19);
    for (int index = 0; index < nlen + ndist;) {
      int symbol = decode(lencode0);
      if (symbol < 16) {
        lengths[index++] = static_cast<short>(symbol);
        continue;
      }
      short len = 0;
      int repeat = 0;
      if (symbol == 16) {
        if (index == 0) fail("repeat with no previous length");
        len = lengths[index - 1];
        repeat = 3 + bits(2);
      } else if (symbol == 17) {
        repeat = 3 + bits(3);
      } else {
        repeat = 11 + bits(7);
      }
      if (index + repeat > nlen + ndist) fail("too many code lengths");
      while (repeat--) lengths[index++] = len;
    }
    if (lengths[256] == 0) fail("no end-of-block code");
    codes(construct(lengths, nlen), construct(lengths + nlen, ndist));
  }

  const std::uint8_t* in_;
  std::size_t size_, pos_ = 0;
  std::uint32_t bitbuf_ = 0;
  int bitcnt_ = 0;
  std::vector<std::uint8_t> out_;
};

/// The data of a zlib stream (RFC 1950); the Adler-32 check is not verified.
inline std::vector<std::uint8_t> zlib_inflate(const std::vector<std::uint8_t>& z) {
  if (z.size() < 2 || (z[0] & 0x0F) != 8 || ((z[0] << 8) | z[1]) % 31 != 0 || (z[1] & 0x20))
    throw std::runtime_error("PNG: the image data is not a plain zlib stream");
  return inflater(z.data() + 2, z.size() - 2).run();
}

inline int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

}  // namespace png_detail

/// The IHDR fields of the PNG `file`.
inline png_header read_png_header(const std::filesystem::path& file) {
  const auto b = png_detail::read_bytes(file);
  static constexpr std::uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() < 33 || !std::equal(sig, sig + 8, b.begin()) || std::string(b.begin() + 12, b.begin() + 16) != "IHDR")
    throw std::runtime_error(file.string() + ": not a PNG file (no signature or IHDR)");
  return {png_detail::be32(&b[16]), png_detail::be32(&b[20]), b[24], b[25], b[28]};
}

/// The pixels of the PNG `file`: 8-bit, non-interlaced, colour types 0, 2, 4 and 6.
inline png_image decode_png(const std::filesystem::path& file) {
  const auto h = read_png_header(file);
  const auto b = png_detail::read_bytes(file);
  const int channels = h.colour_type == 0 ? 1 : h.colour_type == 2 ? 3 : h.colour_type == 4 ? 2
                       : h.colour_type == 6 ? 4 : 0;
  if (h.bit_depth != 8 || channels == 0 || h.interlace != 0)
    throw std::runtime_error(file.string() + ": only 8-bit non-interlaced grey/RGB(A) PNGs are read here");
  std::vector<std::uint8_t> idat;
  for (std::size_t pos = 8; pos + 12 <= b.size();) {
    const std::uint32_t len = png_detail::be32(&b[pos]);
    const std::string type(b.begin() + static_cast<std::ptrdiff_t>(pos + 4), b.begin() + static_cast<std::ptrdiff_t>(pos + 8));
    if (pos + 12 + len > b.size()) throw std::runtime_error(file.string() + ": chunk " + type + " cut off");
    if (type == "IDAT") idat.insert(idat.end(), b.begin() + static_cast<std::ptrdiff_t>(pos + 8), b.begin() + static_cast<std::ptrdiff_t>(pos + 8 + len));
    if (type == "IEND") break;
    pos += 12 + len;
  }
  const auto raw = png_detail::zlib_inflate(idat);
  const std::size_t stride = static_cast<std::size_t>(h.width) * channels;
  if (raw.size() < (stride + 1) * h.height)
    throw std::runtime_error(file.string() + ": image data shorter than width x height");
  png_image img{h.width, h.height, channels, std::vector<std::uint8_t>(stride * h.height)};
  const std::size_t bpp = static_cast<std::size_t>(channels);
  for (std::uint32_t y = 0; y < h.height; ++y) {
    const std::uint8_t filter = raw[y * (stride + 1)];
    const std::uint8_t* src = &raw[y * (stride + 1) + 1];
    std::uint8_t* row = &img.pixels[y * stride];
    const std::uint8_t* up = y > 0 ? row - stride : nullptr;
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= bpp ? row[i - bpp] : 0, u = up ? up[i] : 0, c = (up && i >= bpp) ? up[i - bpp] : 0;
      int v = src[i];
      switch (filter) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += u; break;
        case 3: v += (a + u) / 2; break;
        case 4: v += png_detail::paeth(a, u, c); break;
        default: throw std::runtime_error(file.string() + ": unknown PNG filter type " + std::to_string(filter));
      }
      row[i] = static_cast<std::uint8_t>(v & 0xFF);
    }
  }
  return img;
}

}  // namespace autopeft::testing
