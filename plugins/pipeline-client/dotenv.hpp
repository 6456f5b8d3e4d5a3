#pragma once
// The workspace's .env file, through which a step shares a few non-secret
// settings (the cluster's name and provider, the org, the API generation)
// with the later steps of its build, as the original plugin's templates
// expect. The original dumped every PLUGIN_* variable there, the API token
// included; this one writes only the allowlisted keys, never a secret, and
// reads back only those keys, with lower precedence than real settings.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sg::pipeline_client::dotenv {

struct Line {
  std::string text;  // the line as it was (kept for lines that are not ours)
  std::string key;   // empty for comments, blank or malformed lines
  std::string value;
};

// godotenv's syntax: KEY=value, optional `export `, '#' comments, values in
// single quotes (literal) or double quotes (with \n, \", \\ escapes).
std::vector<Line> parse(std::string_view text);

// A value written so that parse() gives it back unchanged.
std::string quote(std::string_view value);

// Rewrites `existing`: drops every line that sets one of `ours`' keys, keeps
// everything else as it was, and appends `ours` under one comment.
std::string merge(std::string_view existing, const std::map<std::string, std::string>& ours);

// The values of `keys` found in `text` (the last one wins, as in a shell).
std::map<std::string, std::string> values_of(std::string_view text, const std::vector<std::string>& keys);

}  // namespace sg::pipeline_client::dotenv
