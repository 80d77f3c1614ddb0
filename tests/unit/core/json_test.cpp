// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "loqui/json.hpp"

namespace loqui {
namespace {

TEST(Json, ParsesAndDumpsRoundTrip) {
  auto j = Json::parse(R"({"a": 1, "b": [true, null, 2.5, "x\n"], "c": {"d": -7}})");
  ASSERT_TRUE(j.ok()) << j.error().message();
  EXPECT_EQ(j->find("a")->as_int(), 1);
  EXPECT_EQ(j->find("b")->as_array()[2].as_number(), 2.5);
  EXPECT_EQ(j->find("b")->as_array()[3].as_string(), "x\n");
  EXPECT_EQ(j->find("c")->find("d")->as_int(), -7);
  const std::string compact = j->dump();
  EXPECT_EQ(compact, R"({"a":1,"b":[true,null,2.5,"x\n"],"c":{"d":-7}})");
  auto again = Json::parse(j->dump(2));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *j);
}

TEST(Json, KeepsMemberOrder) {
  auto j = Json::parse(R"({"z": 1, "a": 2, "m": 3})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->dump(), R"({"z":1,"a":2,"m":3})");
}

TEST(Json, ErrorsNameLineAndColumn) {
  auto j = Json::parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code(), make_error_code(errc::parse_error));
  EXPECT_NE(j.error().message().find("line 3, column 7"), std::string::npos) << j.error().message();
}

TEST(Json, RejectsDuplicateKeysAndTrailingGarbage) {
  auto dup = Json::parse(R"({"a": 1, "a": 2})");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("duplicate key \"a\""), std::string::npos);
  auto trailing = Json::parse(R"({"a": 1} x)");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message().find("unexpected text"), std::string::npos);
}

TEST(Json, RejectsAbsurdNesting) {
  std::string deep(10000, '[');
  auto j = Json::parse(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().message().find("nesting deeper"), std::string::npos);
}

TEST(Json, BuildsValues) {
  Json j;
  j["name"] = "clinic";
  j["tools"].push_back("book");
  j["tools"].push_back(Json::object({{"x", 1}}));
  EXPECT_EQ(j.dump(), R"({"name":"clinic","tools":["book",{"x":1}]})");
  EXPECT_EQ(Json("16k").describe(), "\"16k\"");
  EXPECT_EQ(Json::array({1, 2, 3}).describe(), "an array of 3");
  EXPECT_EQ(json_quote("a\"b\x01"), "\"a\\\"b\\u0001\"");
}

TEST(Json, IntegersAndDoublesCompareByValue) {
  EXPECT_EQ(Json(2), Json(2.0));
  EXPECT_NE(Json(2), Json(2.5));
  auto big = Json::parse("18446744073709551615");
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(big->is_int());
  EXPECT_TRUE(big->is_number());
}

}  // namespace
}  // namespace loqui
