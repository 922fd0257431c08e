#pragma once
// Configuration as data: one table of settings (name, meaning, struct member, range or choices,
// environment variable) from which a JSON file reader, command-line flags, validation and the
// Markdown docs are all derived. Used by krest-proxy's config and by the krest CLI's profile.
// Include it only from the .cpp that holds a table: it pulls in CLI11 and Boost.JSON.
#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdlib>

#include "nearest_name.hpp"

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace krest::settings {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

template <class Config>
struct Setting {
  const char* name;  // the JSON key; the flag is the same with dashes
  const char* help;
  std::variant<std::int64_t Config::*, std::string Config::*, bool Config::*, std::vector<std::string> Config::*>
      member;
  std::int64_t min = 0;
  std::int64_t max = kMaxInt;
  std::vector<std::string> choices = {};
  const char* env = nullptr;  // environment variable read when the flag is absent
  bool number_as_text = false;  // a text setting whose JSON value may also be a number ("auto" or 8)
};

template <class Config>
using Table = std::vector<Setting<Config>>;

inline std::string dashed(const char* name) {
  std::string s = name;
  for (auto& c : s)
    if (c == '_') c = '-';
  return s;
}

template <class Config>
std::string range_text(const Setting<Config>& s) {
  return "[" + std::to_string(s.min) + ", " + (s.max == kMaxInt ? std::string("max") : std::to_string(s.max)) + "]";
}

template <class Config>
std::string check_int(const Setting<Config>& s, std::int64_t v) {
  if (v < s.min || v > s.max)
    return std::string(s.name) + " = " + std::to_string(v) + " is out of range " + range_text(s);
  return {};
}

template <class Config>
std::string check_string(const Setting<Config>& s, const std::string& v) {
  if (s.choices.empty()) return {};
  for (const auto& c : s.choices)
    if (c == v) return {};
  std::string list;
  for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
  return std::string(s.name) + " = '" + v + "' is not one of: " + list;
}

inline std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

inline std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// Sets a setting from text (a flag's or an environment variable's value). Returns the problem, or empty.
template <class Config>
std::string set_from_text(Config& config, const Setting<Config>& s, const std::string& text) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          std::size_t used = 0;
          std::int64_t v = 0;
          try {
            v = std::stoll(text, &used);
          } catch (const std::exception&) {
            used = 0;
          }
          if (used != text.size() || text.empty()) return std::string(s.name) + " = '" + text + "' is not an integer";
          if (auto e = check_int(s, v); !e.empty()) return e;
          config.*member = v;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          config.*member = split_list(text);
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1" || text == "yes" || text == "on")
            config.*member = true;
          else if (text == "false" || text == "0" || text == "no" || text == "off")
            config.*member = false;
          else
            return std::string(s.name) + " = '" + text + "' is not true or false";
        } else {
          if (auto e = check_string(s, text); !e.empty()) return e;
          config.*member = text;
        }
        return {};
      },
      s.member);
}

template <class Config>
std::string set_from_json(Config& config, const Setting<Config>& s, const boost::json::value& v) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_reference_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          if (!v.is_int64()) return std::string(s.name) + " must be an integer";
          if (auto e = check_int(s, v.get_int64()); !e.empty()) return e;
          config.*member = v.get_int64();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          if (v.is_string()) {
            config.*member = split_list(std::string(v.get_string()));
            return {};
          }
          if (!v.is_array()) return std::string(s.name) + " must be an array of strings";
          std::vector<std::string> items;
          for (const auto& item : v.get_array()) {
            if (!item.is_string() || item.get_string().empty())
              return std::string(s.name) + " must be an array of non-empty strings";
            items.emplace_back(item.get_string());
          }
          config.*member = std::move(items);
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!v.is_bool()) return std::string(s.name) + " must be true or false";
          config.*member = v.get_bool();
        } else {
          if (s.number_as_text && v.is_int64()) return set_from_text(config, s, std::to_string(v.get_int64()));
          if (!v.is_string()) return std::string(s.name) + (s.number_as_text ? " must be a string or a number" : " must be a string");
          std::string text(v.get_string());
          if (auto e = check_string(s, text); !e.empty()) return e;
          config.*member = text;
        }
        return {};
      },
      s.member);
}

inline std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(std::string("cannot read ") + what + " '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Applies a JSON document (an object of settings). Throws std::invalid_argument naming the
// origin, the setting and the problem; unknown keys are refused, so a typo is not ignored.
template <class Config>
void apply_json(Config& config, const Table<Config>& table, const std::string& json_text, const std::string& origin) {
  boost::json::error_code ec;
  auto doc = boost::json::parse(json_text, ec);
  if (ec) throw std::invalid_argument(origin + ": malformed JSON: " + ec.message());
  const auto* obj = doc.if_object();
  if (!obj) throw std::invalid_argument(origin + ": the config must be a JSON object");
  for (const auto& [key, value] : *obj) {
    const Setting<Config>* setting = nullptr;
    for (const auto& s : table)
      if (key == s.name) setting = &s;
    if (!setting) {
      std::vector<std::string> names;
      for (const auto& s : table) names.emplace_back(s.name);
      const auto near = nearest_name(std::string_view(key.data(), key.size()), names);
      throw std::invalid_argument(origin + ": unknown setting '" + std::string(key) + "'" +
                                  (near ? " (did you mean '" + *near + "'?)" : std::string()));
    }
    if (auto e = set_from_json(config, *setting, value); !e.empty()) throw std::invalid_argument(origin + ": " + e);
  }
}

template <class Config>
const char* type_name(const Setting<Config>& s) {
  if (std::holds_alternative<std::int64_t Config::*>(s.member)) return "INT";
  if (std::holds_alternative<bool Config::*>(s.member)) return "BOOL";
  if (std::holds_alternative<std::vector<std::string> Config::*>(s.member)) return "LIST";
  return "TEXT";
}

// A setting's value in `config` as text: 5000, true, auto, a, b.
template <class Config>
std::string value_text(const Config& config, const Setting<Config>& s) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_cvref_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<T, std::int64_t>)
          return std::to_string(config.*member);
        else if constexpr (std::is_same_v<T, bool>)
          return config.*member ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::vector<std::string>>)
          return join_list(config.*member);
        else
          return config.*member;
      },
      s.member);
}

// The same as the docs show a default: 5000, true, "auto", [a, b].
template <class Config>
std::string default_text(const Config& defaults, const Setting<Config>& s) {
  if (std::holds_alternative<std::string Config::*>(s.member)) return "\"" + value_text(defaults, s) + "\"";
  if (std::holds_alternative<std::vector<std::string> Config::*>(s.member)) return "[" + value_text(defaults, s) + "]";
  return value_text(defaults, s);
}

// What a command line gave: the --config file and the setting flags, read once it is parsed.
// Options of subcommands that were not run are never counted, so one CommandLine may serve all.
template <class Config>
struct CommandLine {
  std::vector<CLI::Option*> config_files;  // every --config option added (one per (sub)command)
  std::vector<std::pair<const Setting<Config>*, CLI::Option*>> flags;
};

// Adds --config FILE and one flag per setting to `app` (bool settings are switches: `--insecure`,
// or `--insecure=false`). Nothing is applied here: compose() does, once parsing is over, in the
// one order the sources have.
template <class Config>
void add_options(CLI::App& app, CommandLine<Config>& given, const Table<Config>& table, const char* config_help) {
  given.config_files.push_back(app.add_option("--config")->description(config_help)->type_name("FILE"));
  const Config defaults;
  for (const auto& s : table) {
    const auto flag = "--" + dashed(s.name);
    const bool is_switch = std::holds_alternative<bool Config::*>(s.member);
    CLI::Option* option = is_switch ? app.add_flag(flag) : app.add_option(flag);
    if (!is_switch) option->type_name(type_name(s));
    // The default is shown, not set on the option: a flag given counts, a default must not beat
    // the environment or the profile.
    std::string help = s.help;
    const std::string def = default_text(defaults, s);
    if (def != "\"\"" && def != "false" && def != "[]") help += " [default: " + def + "]";
    if (s.env) help += std::string(" [env: ") + s.env + "]";
    option->description(help);
    given.flags.emplace_back(&s, option);
  }
}

// Fills `config` from every source, least specific first: what it holds already (the defaults),
// the --config file, the environment variables, the flags. Each later source wins for the
// settings it names. Throws std::invalid_argument naming the source and the setting.
template <class Config>
void compose(Config& config, const Table<Config>& table, const CommandLine<Config>& given,
             const char* (*read_env)(const char*) = [](const char* name) -> const char* { return std::getenv(name); }) {
  for (auto* option : given.config_files)
    if (option->count() > 0) {
      const auto path = option->results().back();
      apply_json(config, table, read_text_file(path, "config file"), path);
    }
  for (const auto& s : table) {
    if (!s.env) continue;
    const char* value = read_env(s.env);
    if (value == nullptr) continue;
    if (auto e = set_from_text(config, s, value); !e.empty())
      throw std::invalid_argument(std::string(s.env) + " (environment): " + e);
  }
  for (const auto& [s, option] : given.flags) {
    if (option->count() == 0) continue;
    if (auto e = set_from_text(config, *s, option->results().back()); !e.empty())
      throw std::invalid_argument("--" + dashed(s->name) + ": " + e);
  }
}

// Every setting out of its range or choices; cross-field rules are the caller's.
template <class Config>
std::vector<std::string> check(const Config& config, const Table<Config>& table) {
  std::vector<std::string> problems;
  for (const auto& s : table) {
    std::string e = std::visit(
        [&](auto member) -> std::string {
          using T = std::remove_cvref_t<decltype(config.*member)>;
          if constexpr (std::is_same_v<T, std::int64_t>)
            return check_int(s, config.*member);
          else if constexpr (std::is_same_v<T, std::string>)
            return check_string(s, config.*member);
          else
            return {};
        },
        s.member);
    if (!e.empty()) problems.push_back(e);
  }
  return problems;
}

// The table as Markdown, for the docs.
template <class Config>
std::string describe(const Table<Config>& table) {
  std::ostringstream out;
  Config defaults;
  bool any_env = false;
  for (const auto& s : table) any_env = any_env || s.env;
  out << "| setting (JSON key) | flag |" << (any_env ? " environment |" : "") << " default | allowed | meaning |\n"
      << "|---|---|" << (any_env ? "---|" : "") << "---|---|---|\n";
  for (const auto& s : table) {
    const std::string def = default_text(defaults, s);
    std::string allowed;
    if (std::holds_alternative<std::int64_t Config::*>(s.member)) allowed = range_text(s);
    for (const auto& c : s.choices) allowed += (allowed.empty() ? "" : ", ") + c;
    out << "| `" << s.name << "` | `--" << dashed(s.name) << "` |";
    if (any_env) out << (s.env ? " `" + std::string(s.env) + "` |" : " |");
    out << " `" << def << "` | " << allowed << " | " << s.help << " |\n";
  }
  return out.str();
}

}  // namespace krest::settings
