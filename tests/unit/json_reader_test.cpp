// JsonReader: typed access with pointer-precise errors.

#include "edgetwin/common/json_reader.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edgetwin/common/error.hpp"

using edgetwin::common::DataError;
using edgetwin::common::JsonReader;
using nlohmann::json;

namespace {

template <class F>
std::string error_where(F&& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.where() + " | " + e.reason();
  }
  return "no error";
}

TEST(JsonReader, ReadsTypedValues) {
  const json doc =
      json::parse(R"({"a": 1.5, "n": 3, "hz": 1e9, "s": "x", "list": [1, 2], "o": {"k": true}})");
  const JsonReader r(doc, "f.json");
  EXPECT_DOUBLE_EQ(r.number("a"), 1.5);
  EXPECT_EQ(r.integer("n"), 3);
  EXPECT_EQ(r.integer("hz"), 1000000000);  // integral floats are accepted for integers
  EXPECT_EQ(r.string("s"), "x");
  EXPECT_EQ(r.integers("list"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(r.object("o").boolean_or("k", false));
  EXPECT_EQ(r.integer_or("missing", 7), 7);
}

TEST(JsonReader, ErrorsNamePointerFoundAndAllowed) {
  const json doc = json::parse(R"({"a": "1.5", "n": 2.5, "o": {"list": [1, "two"], "k": 5}, "e": "x/y"})");
  const JsonReader r(doc, "f.json", "/base");
  EXPECT_EQ(error_where([&] { r.number("a"); }), "/base/a | expected a number, found the string \"1.5\"");
  EXPECT_EQ(error_where([&] { r.integer("n"); }), "/base/n | expected an integer, found the number 2.5");
  EXPECT_EQ(error_where([&] { r.object("o").integers("list"); }),
            "/base/o/list/1 | expected an integer, found the string \"two\"");
  EXPECT_EQ(error_where([&] { r.object("o").integer_in("k", 0, 3); }),
            "/base/o/k | found 5, allowed range [0, 3]");
  EXPECT_EQ(error_where([&] { r.one_of("e", {"a", "b"}); }), "/base/e | found \"x/y\", allowed: a, b");
  EXPECT_EQ(error_where([&] { r.string("zz"); }), "/base/zz | required field is missing");
  EXPECT_EQ(error_where([&] {
              r.require_only({"a", "n", "o"});
            }),
            "/base/e | unknown field; allowed fields here: a, n, o");
  const std::vector<const char*> allowed{"a", "n"};
  EXPECT_EQ(error_where([&] { r.require_only(allowed); }),
            "/base/e | unknown field; allowed fields here: a, n");
}

TEST(JsonReader, PointerEscapesSlashAndTilde) {
  const json doc = json::parse(R"({"a/b~c": 1})");
  const JsonReader r(doc, "f.json");
  EXPECT_EQ(error_where([&] { r.string("a/b~c"); }), "/a~1b~0c | expected a string, found the number 1");
}

TEST(JsonReader, DataErrorMessageHasFileWhereReason) {
  const DataError e("boards/x.json", "/gpu", "bad");
  EXPECT_STREQ(e.what(), "boards/x.json: /gpu: bad");
}

}  // namespace
