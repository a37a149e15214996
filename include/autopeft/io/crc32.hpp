#pragma once
// CRC-32 (IEEE 802.3, the polynomial of zlib and PNG) of bytes and of files: a damaged or
// truncated file is found before it is parsed (backbone_manifest records one per file).
//
// Example:
//   const std::uint32_t c = autopeft::io::crc32(std::string_view("123456789"));  // 0xcbf43926
//   const std::uint32_t f = autopeft::io::file_crc32("backbone/model.safetensors");
#include <autopeft/error.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

namespace autopeft::io {

namespace detail {
inline const std::array<std::uint32_t, 256>& crc32_table() {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}
}  // namespace detail

/// The CRC-32 of `bytes`, continuing from `crc` (the CRC of the bytes before, 0 for none).
[[nodiscard]] inline std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) {
  const auto& t = detail::crc32_table();
  crc = ~crc;
  for (const unsigned char b : bytes) crc = t[(crc ^ b) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

/// The CRC-32 of the file's contents; throws a file_error when it cannot be read.
[[nodiscard]] inline std::uint32_t file_crc32(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw file_error(file, "cannot be opened for reading (check that it exists and is readable)");
  std::vector<char> buf(1 << 20);
  std::uint32_t crc = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crc = crc32(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())), crc);
  }
  if (in.bad()) throw file_error(file, "read failed (an I/O error: check the disk)");
  return crc;
}

}  // namespace autopeft::io
