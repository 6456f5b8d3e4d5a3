#pragma once
// The one way to read JSON that came from outside: a peer's response, a file
// a user names, a setting. nlohmann's DOM parser has no size or depth limit,
// its error texts quote the input (which may hold a secret), and its typed
// accessors throw type_error.302 that says nothing of which field was wrong.
// These functions bound the input first and name the field on a type error.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace sg::util {

struct JsonLimits {
  std::size_t max_depth = 64;
  std::size_t max_bytes = std::size_t{64} << 20;
};

// What went wrong, with the byte position or the field path; never the input.
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text`, rejecting documents over `limits` before building them, and
// duplicate keys when `reject_duplicates` (a duplicated key in something a
// person wrote is almost always a copy-paste mistake).
nlohmann::json parse_json(std::string_view text, const JsonLimits& limits = {}, bool reject_duplicates = false);

// The JSON type's name as an error message says it ("a string", "an integer").
std::string json_kind(const nlohmann::json& j);

namespace detail {

template <typename T>
std::string expected_kind() {
  if constexpr (std::is_same_v<T, bool>) {
    return "a boolean";
  } else if constexpr (std::is_integral_v<T>) {
    return "an integer";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "a number";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "a string";
  } else if constexpr (std::is_same_v<T, nlohmann::json>) {
    return "a value";
  } else {
    return "a value of the documented type";
  }
}

template <typename T>
T convert(const nlohmann::json& v, std::string_view path) {
  auto wrong = [&]() {
    return JsonError(std::string(path) + ": expected " + expected_kind<T>() + ", got " + json_kind(v));
  };
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) throw wrong();
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    // Integers are range-checked: a value that does not fit must fail, not
    // wrap (a broker id of 5000000000 is not broker 705032704).
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        throw JsonError(std::string(path) + ": " + std::to_string(u) + " is out of range (at most " +
                        std::to_string(std::numeric_limits<T>::max()) + ")");
      }
      return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
      auto s = v.get<std::int64_t>();
      if constexpr (std::is_signed_v<T>) {
        if (s < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
            s > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
          throw JsonError(std::string(path) + ": " + std::to_string(s) + " is out of range (" +
                          std::to_string(std::numeric_limits<T>::min()) + " to " +
                          std::to_string(std::numeric_limits<T>::max()) + ")");
        }
      } else {
        if (s < 0) throw JsonError(std::string(path) + ": " + std::to_string(s) + " is negative; expected at least 0");
      }
      return static_cast<T>(s);
    }
    throw wrong();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) throw wrong();
    return v.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) throw wrong();
    return v.get<std::string>();
  } else {
    static_assert(std::is_same_v<T, void>, "field<T>: unsupported type");
  }
}

// The member `key` of `obj`, or nullptr when absent; JsonError when `obj` is
// not an object. Looked up in the object's map directly: GCC's
// -Wnull-dereference cannot see through nlohmann's iterator at -O2.
inline const nlohmann::json* member(const nlohmann::json& obj, std::string_view key, std::string_view where) {
  const auto* map = obj.get_ptr<const nlohmann::json::object_t*>();
  if (map == nullptr) throw JsonError(std::string(where) + ": expected an object, got " + json_kind(obj));
  auto it = map->find(std::string(key));
  return it == map->end() ? nullptr : &it->second;
}

}  // namespace detail

// obj[key] as T; JsonError "<where>.<key>: ..." when missing or wrong-typed.
template <typename T>
T field(const nlohmann::json& obj, std::string_view key, std::string_view where) {
  std::string path = std::string(where) + "." + std::string(key);
  const auto* value = detail::member(obj, key, where);
  if (!value) throw JsonError(path + ": missing; it is required");
  return detail::convert<T>(*value, path);
}

// obj[key] as T when present and not null; nullopt otherwise.
template <typename T>
std::optional<T> optional_field(const nlohmann::json& obj, std::string_view key, std::string_view where) {
  const auto* value = detail::member(obj, key, where);
  if (!value || value->is_null()) return std::nullopt;
  return detail::convert<T>(*value, std::string(where) + "." + std::string(key));
}

// An array element (or any value) as T, for loops over arrays.
template <typename T>
T as(const nlohmann::json& v, std::string_view path) {
  return detail::convert<T>(v, path);
}

}  // namespace sg::util
