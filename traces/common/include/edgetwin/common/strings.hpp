#pragma once
/// Small string helpers shared by every module's messages.

#include <string>
#include <vector>

namespace edgetwin::common {

/// The items separated by `separator` ("a, b, c").
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

/// `text` cut to `max_chars` with "..." appended when longer (a found value quoted in a message).
std::string abbreviate(const std::string& text, std::size_t max_chars = 60);

/// The cells of one CSV line without quoting ("a,,b" -> "a", "", "b"; "" -> one empty cell).
std::vector<std::string> split_commas(const std::string& line);

/// The shortest text that reads back as exactly `value` (std::to_chars); "" for NaN (an unknown
/// value in the project's CSV files).
std::string format_double(double value);

}  // namespace edgetwin::common
