#pragma once
// Reader and writer of HuggingFace's safetensors format:
//
//   [8 bytes: N, little-endian uint64] [N bytes: UTF-8 JSON header] [byte buffer]
//
// The header maps each tensor name to {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}
// (offsets relative to the start of the byte buffer, data little-endian and row-major) and may
// hold a "__metadata__" object of string -> string. It may be padded with trailing spaces.
//
// The reader validates everything before it trusts it (header length, JSON, dtypes, shapes,
// offsets, overlaps, size arithmetic) and reports every problem as an autopeft::file_error whose
// message starts with the file's path and names the tensor concerned. It never reads past what
// the file holds, whatever the file says.
//
// Example:
//   autopeft::io::save_safetensors("adapter.safetensors", {{"lora.A", a}, {"lora.B", b}},
//                                  {{"format", "pt"}});
//   auto content = autopeft::io::load_safetensors("adapter.safetensors", torch::kFloat);
//   torch::Tensor a2 = content.at("lora.A");
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>   // open
#include <unistd.h>  // fsync, fileno, close
#endif

namespace autopeft::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; this reader copies bytes as they are");

/// Everything a safetensors file holds.
struct safetensors_content {
  /// The tensors, sorted by name (CPU, contiguous).
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  /// The "__metadata__" object; empty when the file has none.
  std::map<std::string, std::string> metadata;
  /// The file it was read from (names it in the errors of at()).
  std::filesystem::path file;

  /// The tensor called `name`; throws autopeft::file_error "missing tensor 'name'" otherwise.
  [[nodiscard]] const torch::Tensor& at(const std::string& name) const {
    for (const auto& [n, t] : tensors) {
      if (n == name) return t;
    }
    std::string what = "missing tensor '" + name + "' (the file has " +
                       std::to_string(tensors.size()) + " tensor" +
                       (tensors.size() == 1 ? "" : "s");
    constexpr std::size_t shown = 8;
    for (std::size_t i = 0; i < tensors.size() && i < shown; ++i) {
      what += (i == 0 ? ": '" : ", '") + tensors[i].first + "'";
    }
    if (tensors.size() > shown) what += ", ...";
    what += ")";
    throw file_error(file, what);
  }

  [[nodiscard]] bool contains(const std::string& name) const {
    return std::any_of(tensors.begin(), tensors.end(),
                       [&](const auto& entry) { return entry.first == name; });
  }
};

namespace detail_safetensors {

struct dtype_info {
  std::string_view name;
  torch::Dtype dtype;
  std::size_t itemsize;
};

inline constexpr std::array<dtype_info, 10> dtypes{{
    {"F64", torch::kFloat64, 8},
    {"F32", torch::kFloat32, 4},
    {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2},
    {"I64", torch::kInt64, 8},
    {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},
    {"I8", torch::kInt8, 1},
    {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
}};

// Dtypes the format knows but LibTorch 1.13 has no type for.
inline constexpr std::array<std::string_view, 5> unsupported_dtypes{
    {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2"}};

inline const dtype_info* find_dtype(std::string_view name) {
  for (const auto& d : dtypes) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

inline const dtype_info* find_dtype(torch::Dtype dtype) {
  for (const auto& d : dtypes) {
    if (d.dtype == dtype) return &d;
  }
  return nullptr;
}

inline std::string supported_dtype_list() {
  std::string s;
  for (const auto& d : dtypes) {
    if (!s.empty()) s += ", ";
    s += d.name;
  }
  return s;
}

/// The most bytes a header may have, as in HF's reader.
inline constexpr std::uint64_t max_header_bytes = 100'000'000;
/// Deepest JSON nesting a header may have (a valid one has 3).
inline constexpr int max_json_depth = 16;

inline std::string shape_string(const nlohmann::json& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i].dump();
  }
  return s + "]";
}

inline std::string range_string(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

/// One tensor's validated header entry.
struct entry {
  std::string name;
  const dtype_info* dtype = nullptr;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// Parses the header text; rejects invalid JSON, deep nesting and duplicate top-level keys.
inline nlohmann::json parse_header(const std::filesystem::path& file, const std::string& text) {
  std::set<std::string> seen;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    if ((event == ev::object_start || event == ev::array_start) && depth >= max_json_depth) {
      throw file_error(file, "header JSON is nested deeper than " +
                                 std::to_string(max_json_depth) + " levels");
    }
    if (event == ev::key && depth == 1) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second) {
        throw file_error(file, "header names '" + key + "' twice");
      }
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, callback);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(file, std::string("header is not valid JSON: ") + e.what());
  }
}

inline std::map<std::string, std::string> parse_metadata(const std::filesystem::path& file,
                                                         const nlohmann::json& meta) {
  if (!meta.is_object()) {
    throw file_error(file, "\"__metadata__\" must be a JSON object of strings, not " +
                               std::string(meta.type_name()));
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : meta.items()) {
    if (!value.is_string()) {
      throw file_error(file, "\"__metadata__\" entry '" + key + "' must be a string, not " +
                                 std::string(value.type_name()));
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

/// Validates one tensor entry against the buffer's size (everything but overlaps).
inline entry parse_entry(const std::filesystem::path& file, const std::string& name,
                         const nlohmann::json& j, std::uint64_t buffer_size) {
  const std::string where = "tensor '" + name + "': ";
  if (!j.is_object()) {
    throw file_error(file, where + "header entry must be a JSON object, not " +
                               std::string(j.type_name()));
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!j.contains(key)) throw file_error(file, where + "header entry has no \"" + key + "\"");
  }
  entry e;
  e.name = name;

  const auto& jdtype = j.at("dtype");
  if (!jdtype.is_string()) {
    throw file_error(file, where + "\"dtype\" must be a string, not " +
                               std::string(jdtype.type_name()));
  }
  const auto& dtype_name = jdtype.get_ref<const std::string&>();
  e.dtype = find_dtype(dtype_name);
  if (e.dtype == nullptr) {
    const bool known = std::find(unsupported_dtypes.begin(), unsupported_dtypes.end(),
                                 dtype_name) != unsupported_dtypes.end();
    throw file_error(file, where + (known ? "unsupported" : "unknown") + " dtype '" + dtype_name +
                               "'" + (known ? " (LibTorch has no such type)" : "") +
                               "; supported: " + supported_dtype_list());
  }

  const auto& jshape = j.at("shape");
  if (!jshape.is_array()) {
    throw file_error(file, where + "\"shape\" must be an array of integers, not " +
                               std::string(jshape.type_name()));
  }
  // Checked arithmetic: every dimension, the product of max(dim, 1) (which bounds the strides
  // LibTorch computes) and the byte size must fit in int64.
  constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t extent = 1;  // product of max(dim, 1)
  bool empty = false;
  for (const auto& d : jshape) {
    if (!d.is_number_integer()) {
      throw file_error(file, where + "\"shape\" must be an array of integers, but holds " +
                                 d.dump());
    }
    if (d.is_number_unsigned() ? d.get<std::uint64_t>() > limit : d.get<std::int64_t>() < 0) {
      throw file_error(file, where + (d.is_number_unsigned() ? "too large" : "negative") +
                                 " dimension " + d.dump() + " in shape " + shape_string(jshape));
    }
    const auto dim = d.get<std::int64_t>();
    e.shape.push_back(dim);
    if (dim == 0) empty = true;
    const auto u = static_cast<std::uint64_t>(std::max<std::int64_t>(dim, 1));
    if (extent > limit / u) {
      throw file_error(file, where + "shape " + shape_string(jshape) + " is too large");
    }
    extent *= u;
  }
  const std::uint64_t numel = empty ? 0 : extent;
  if (numel > limit / e.dtype->itemsize) {
    throw file_error(file, where + "shape " + shape_string(jshape) + " of " +
                               std::string(e.dtype->name) + " is too large");
  }
  const std::uint64_t nbytes = numel * e.dtype->itemsize;

  const auto& joff = j.at("data_offsets");
  const bool offsets_ok = joff.is_array() && joff.size() == 2 &&
                          joff[0].is_number_unsigned() && joff[1].is_number_unsigned();
  if (!offsets_ok) {
    throw file_error(file, where + "\"data_offsets\" must be an array of two non-negative "
                                   "integers, not " + joff.dump());
  }
  e.begin = joff[0].get<std::uint64_t>();
  e.end = joff[1].get<std::uint64_t>();
  if (e.begin > e.end) {
    throw file_error(file, where + "data_offsets [" + std::to_string(e.begin) + ", " +
                               std::to_string(e.end) + "] have begin > end");
  }
  if (e.end > buffer_size) {
    throw file_error(file, where + "data_offsets " + range_string(e.begin, e.end) +
                               " are outside the data buffer of " + std::to_string(buffer_size) +
                               " bytes (file truncated?)");
  }
  if (e.end - e.begin != nbytes) {
    throw file_error(file, where + "shape " + shape_string(jshape) + " of " +
                               std::string(e.dtype->name) + " needs " + std::to_string(nbytes) +
                               " bytes but data_offsets span " + std::to_string(e.end - e.begin));
  }
  return e;
}

/// Writes an uint64 as 8 little-endian bytes.
inline std::array<char, 8> le64(std::uint64_t v) {
  std::array<char, 8> b{};
  for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xffU);
  return b;
}

/// Removes a temporary file unless released.
struct temp_file_guard {
  std::filesystem::path path;
  std::FILE* f = nullptr;
  bool keep = false;
  ~temp_file_guard() {
    if (f != nullptr) std::fclose(f);
    if (!keep) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

}  // namespace detail_safetensors

/// Reads and validates a whole safetensors file. When `dtype` is given (a floating type),
/// floating tensors (F64/F32/F16/BF16) are converted to it; integer and bool tensors keep
/// their type. Tensors come back sorted by name, on the CPU, contiguous.
/// Throws autopeft::file_error (message "<file>: ...") on any problem with the file.
inline safetensors_content load_safetensors(const std::filesystem::path& file,
                                            std::optional<torch::Dtype> dtype = std::nullopt) {
  namespace d = detail_safetensors;
  if (dtype && !c10::isFloatingType(*dtype)) {
    throw file_error(file, std::string("cannot convert floating tensors to ") +
                               c10::toString(*dtype) + ", which is not a floating type");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw file_error(file, ec ? "cannot read safetensors file: " + ec.message()
                              : std::string("cannot read safetensors file: not a regular file "
                                            "(or it does not exist)"));
  }
  const std::uint64_t file_size = std::filesystem::file_size(file, ec);
  if (ec) throw file_error(file, "cannot read safetensors file: " + ec.message());
  std::ifstream in(file, std::ios::binary);
  if (!in) throw file_error(file, "cannot open safetensors file for reading");

  if (file_size < 8) {
    throw file_error(file, "truncated: the file has " + std::to_string(file_size) +
                               " bytes, fewer than the 8 of the header length");
  }
  std::array<unsigned char, 8> len_bytes{};
  if (!in.read(reinterpret_cast<char*>(len_bytes.data()), 8)) {
    throw file_error(file, "truncated: cannot read the 8-byte header length");
  }
  std::uint64_t header_len = 0;
  for (std::size_t i = 0; i < 8; ++i) header_len |= std::uint64_t{len_bytes[i]} << (8 * i);
  if (header_len > file_size - 8) {
    throw file_error(file, "header length " + std::to_string(header_len) +
                               " past the end of the file (size " + std::to_string(file_size) +
                               ")");
  }
  if (header_len > d::max_header_bytes) {
    throw file_error(file, "header length " + std::to_string(header_len) + " exceeds the " +
                               std::to_string(d::max_header_bytes) + "-byte safety limit");
  }
  std::string text(static_cast<std::size_t>(header_len), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(header_len))) {
    throw file_error(file, "truncated: cannot read the " + std::to_string(header_len) +
                               "-byte header");
  }
  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t buffer_size = file_size - data_start;

  const nlohmann::json header = d::parse_header(file, text);
  if (!header.is_object()) {
    throw file_error(file, "header must be a JSON object, not " +
                               std::string(header.type_name()));
  }

  safetensors_content content;
  content.file = file;
  std::vector<d::entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      content.metadata = d::parse_metadata(file, value);
    } else {
      entries.push_back(d::parse_entry(file, name, value, buffer_size));
    }
  }

  // Overlaps: with the non-empty ranges sorted by begin, each must start at or after the
  // furthest end so far.
  std::vector<const d::entry*> by_offset;
  for (const auto& e : entries) {
    if (e.end > e.begin) by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const d::entry* a, const d::entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->name < b->name;
  });
  const d::entry* furthest = nullptr;
  for (const d::entry* e : by_offset) {
    if (furthest != nullptr && e->begin < furthest->end) {
      throw file_error(file, "tensors '" + furthest->name + "' and '" + e->name +
                                 "' overlap (bytes " + d::range_string(furthest->begin,
                                                                       furthest->end) +
                                 " and " + d::range_string(e->begin, e->end) + ")");
    }
    if (furthest == nullptr || e->end > furthest->end) furthest = e;
  }

  // Data, read in file order straight into each tensor's storage.
  std::vector<torch::Tensor> loaded(entries.size());
  std::vector<std::size_t> order(entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return entries[a].begin < entries[b].begin; });
  for (const std::size_t i : order) {
    const auto& e = entries[i];
    torch::Tensor t;
    try {
      t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->dtype));
    } catch (const c10::Error& err) {
      throw file_error(file, "tensor '" + e.name + "': cannot create it: " +
                                 err.what_without_backtrace());
    }
    const std::uint64_t nbytes = e.end - e.begin;
    if (nbytes > 0) {
      char* dst = static_cast<char*>(t.data_ptr());
      in.seekg(static_cast<std::streamoff>(data_start + e.begin));
      if (!in || !in.read(dst, static_cast<std::streamsize>(nbytes))) {
        throw file_error(file, "tensor '" + e.name + "': cannot read bytes " +
                                   d::range_string(e.begin, e.end) +
                                   " of the data buffer (file truncated while reading?)");
      }
      if (e.dtype->dtype == torch::kBool) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(dst);
        for (std::uint64_t k = 0; k < nbytes; ++k) {
          if (bytes[k] > 1) {
            throw file_error(file, "tensor '" + e.name + "': BOOL element " + std::to_string(k) +
                                       " has byte value " + std::to_string(bytes[k]) +
                                       ", not 0 or 1");
          }
        }
      }
    }
    if (dtype && t.is_floating_point() && t.scalar_type() != *dtype) t = t.to(*dtype);
    loaded[i] = std::move(t);
  }

  content.tensors.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    content.tensors.emplace_back(entries[i].name, std::move(loaded[i]));
  }
  return content;  // entries came from a std::map-backed object: already sorted by name
}

/// Writes `tensors` (any device, any layout of strides) as a safetensors file, laid out as
/// HuggingFace's writer does: header keys sorted, data_offsets consecutive from 0 (larger
/// items first, so every tensor is aligned to its item size), header padded with spaces to a
/// multiple of 8 bytes, "__metadata__" present when `metadata` is non-empty (HF writes
/// {"format": "pt"}). Writes a temporary file next to `file` and renames it over `file`, so
/// `file` is either the old one or the complete new one.
inline void save_safetensors(const std::filesystem::path& file,
                             const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
  namespace d = detail_safetensors;
  struct item {
    const std::string* name;
    const d::dtype_info* dtype;
    const torch::Tensor* tensor;
    std::uint64_t nbytes;
  };
  std::vector<item> items;
  std::set<std::string_view> names;
  for (const auto& [name, t] : tensors) {
    const std::string where = "tensor '" + name + "': ";
    if (name == "__metadata__") {
      throw file_error(file, "a tensor cannot be called '__metadata__' (the key is reserved)");
    }
    if (!names.insert(name).second) throw file_error(file, "tensor name '" + name + "' given twice");
    if (!t.defined()) throw file_error(file, where + "undefined tensor");
    if (t.layout() != torch::kStrided) {
      throw file_error(file, where + "only dense (strided) tensors can be stored");
    }
    const d::dtype_info* info = d::find_dtype(t.scalar_type());
    if (info == nullptr) {
      throw file_error(file, where + "dtype " + std::string(c10::toString(t.scalar_type())) +
                                 " cannot be stored; supported: " + d::supported_dtype_list());
    }
    items.push_back({&name, info, &t, static_cast<std::uint64_t>(t.numel()) * info->itemsize});
  }
  std::sort(items.begin(), items.end(), [](const item& a, const item& b) {
    return a.dtype->itemsize != b.dtype->itemsize ? a.dtype->itemsize > b.dtype->itemsize
                                                  : *a.name < *b.name;
  });

  nlohmann::json header = nlohmann::json::object();  // std::map: keys come out sorted
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& it : items) {
    header[*it.name] = {{"dtype", std::string(it.dtype->name)},
                        {"shape", it.tensor->sizes().vec()},
                        {"data_offsets", {offset, offset + it.nbytes}}};
    offset += it.nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw file_error(file, std::string("cannot write the header (tensor names and metadata "
                                       "must be valid UTF-8): ") + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  d::temp_file_guard tmp;
  std::random_device rd;
  for (int attempt = 0; tmp.f == nullptr; ++attempt) {
    std::ostringstream suffix;
    suffix << std::hex << ((std::uint64_t{rd()} << 32) | rd());
    tmp.path = dir / ("." + file.filename().string() + ".tmp-" + suffix.str());
    errno = 0;
    tmp.f = std::fopen(tmp.path.string().c_str(), "wbx");  // x: fail if it exists
    if (tmp.f == nullptr) {
      const int err = errno;
      if (err != EEXIST || attempt >= 8) {
        tmp.keep = true;  // not ours
        throw file_error(file, "cannot create the temporary file " + tmp.path.string() + ": " +
                                   std::strerror(err));
      }
    }
  }
  auto write = [&](const void* p, std::size_t n) {
    if (n > 0 && std::fwrite(p, 1, n, tmp.f) != n) {
      throw file_error(file, "cannot write the temporary file " + tmp.path.string() +
                                 " (disk full?)");
    }
  };
  const auto len = d::le64(text.size());
  write(len.data(), len.size());
  write(text.data(), text.size());
  for (const auto& it : items) {
    if (it.nbytes == 0) continue;
    const torch::Tensor cpu = it.tensor->detach().to(torch::kCPU).contiguous();
    write(cpu.data_ptr(), it.nbytes);
  }
  if (std::fflush(tmp.f) != 0) {
    throw file_error(file, "cannot write the temporary file " + tmp.path.string());
  }
#if defined(__unix__) || defined(__APPLE__)
  if (::fsync(::fileno(tmp.f)) != 0) {
    throw file_error(file, "cannot sync the temporary file " + tmp.path.string());
  }
#endif
  const int closed = std::fclose(tmp.f);
  tmp.f = nullptr;
  if (closed != 0) throw file_error(file, "cannot close the temporary file " + tmp.path.string());
  std::error_code ec;
  std::filesystem::rename(tmp.path, file, ec);
  if (ec) {
    throw file_error(file, "cannot rename " + tmp.path.string() + " to it: " + ec.message());
  }
  tmp.keep = true;
#if defined(__unix__) || defined(__APPLE__)
  // Make the rename itself durable too; best effort (some file systems refuse).
  if (const int fd = ::open(dir.string().c_str(), O_RDONLY); fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
#endif
}

}  // namespace autopeft::io
