#pragma once
// A JSON Schema (draft 2020-12) validator for the subset the spotguide format
// uses: type, enum, required, properties, additionalProperties, items,
// minItems, minLength, pattern, minimum, maximum. The schema file stays the
// one declaration of the format; editors read it, and so does `spotguide`.
// A keyword outside the subset is an error, so the schema cannot silently
// say more than is checked.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg::spotguide {

// Problems with instance, each as "<json pointer>: <what is wrong>".
std::vector<std::string> validate(const nlohmann::json& schema, const nlohmann::json& instance);

}  // namespace sg::spotguide
