#include "cli/concurrency_option.hpp"

#include <CLI/CLI.hpp>

#include <charconv>

#include "cli/usage_error.hpp"

namespace krest::cli {

bool parse_count(std::string_view text, std::size_t max, std::size_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out >= 1 && out <= max;
}

std::string concurrency_problem(const std::string& text, std::size_t max) {
  std::size_t n = 0;
  if (text == "auto") return {};
  std::string_view number = text;
  if (number.substr(0, 5) == "auto:") number.remove_prefix(5);
  if (parse_count(number, max, n)) return {};
  return "'" + text + "' is not auto, auto:N or N with N in 1.." + std::to_string(max);
}

CLI::Option* add_concurrency_option(CLI::App& app, const std::string& name, std::string& target,
                                    const std::string& help, std::size_t max) {
  return app.add_option(name, target, help + " (auto: adapted to the link; auto:N: adapted up to N; N: pinned)")
      ->check(CLI::Validator([max](std::string& text) { return concurrency_problem(text, max); }, "auto|auto:N|N"))
      ->capture_default_str();
}

CLI::Option* add_auto_count_option(CLI::App& app, const std::string& name, std::int64_t& target,
                                   const std::string& help, std::size_t max) {
  return app
      .add_option_function<std::string>(
          name,
          [&target, name, max](const std::string& text) {
            if (text == "auto") {
              target = 0;
              return;
            }
            std::size_t n = 0;
            if (!parse_count(text, max, n))
              throw CLI::ValidationError(name, "'" + text + "' is neither auto nor a number from 1 to " +
                                                   std::to_string(max));
            target = static_cast<std::int64_t>(n);
          },
          help)
      ->type_name("auto|N")
      ->default_str("auto");
}

Concurrency parse_concurrency(const std::string& text, const std::string& what, std::size_t auto_bound,
                              std::size_t max) {
  if (auto problem = concurrency_problem(text, max); !problem.empty()) throw UsageError(what + ": " + problem);
  if (text == "auto") return Concurrency::automatic(auto_bound);
  std::size_t n = 0;
  if (text.rfind("auto:", 0) == 0) {
    parse_count(std::string_view(text).substr(5), max, n);
    return Concurrency::automatic(n);
  }
  parse_count(text, max, n);
  return Concurrency::fixed(n);
}

}  // namespace krest::cli
