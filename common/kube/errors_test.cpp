#include "kube/errors.hpp"

#include <gtest/gtest.h>

namespace sg::kube {
namespace {
http::Response response(long code, std::string body, std::string retry_after = {}) {
  http::Response r;
  r.status = code;
  r.body = std::move(body);
  if (!retry_after.empty()) r.headers.emplace("retry-after", retry_after);
  return r;
}
}  // namespace

TEST(ApiErrors, TypedFromStatusBodies) {
  auto nf = api_error(
      response(
          404,
          R"({"kind":"Status","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404})"),
      "get", "pods \"x\" in namespace \"ci\"");
  EXPECT_TRUE(nf.not_found());
  EXPECT_EQ(std::string(nf.what()),
            "get pods \"x\" in namespace \"ci\" failed: NotFound (HTTP 404): pods \"x\" not found");

  auto exists = api_error(response(409, R"({"kind":"Status","reason":"AlreadyExists","code":409,"message":"exists"})"),
                          "create", "jobs");
  EXPECT_TRUE(exists.already_exists());
  EXPECT_FALSE(exists.conflict());
  auto conflict = api_error(
      response(
          409,
          R"({"kind":"Status","reason":"Conflict","code":409,"message":"Apply failed with 1 conflict: conflict with \"other\": .data.k"})"),
      "patch", "configmaps \"c\"");
  EXPECT_TRUE(conflict.conflict());

  auto gone = api_error(
      response(410,
               R"x({"kind":"Status","reason":"Expired","code":410,"message":"too old resource version: 1 (20)"})x"),
      "watch", "pods");
  EXPECT_TRUE(gone.gone());
}

TEST(ApiErrors, InvalidCarriesFieldCauses) {
  auto e = api_error(
      response(422, R"({"kind":"Status","reason":"Invalid","code":422,"message":"Job.batch \"BAD\" is invalid",
    "details":{"causes":[{"reason":"FieldValueInvalid","field":"metadata.name","message":"Invalid value: \"BAD\": a lowercase RFC 1123 subdomain must consist of lower case"}]}})"),
      "create", "jobs \"BAD\"");
  EXPECT_TRUE(e.invalid());
  ASSERT_EQ(e.causes().size(), 1u);
  EXPECT_EQ(e.causes()[0].field, "metadata.name");
  EXPECT_NE(std::string(e.what()).find("metadata.name: Invalid value"), std::string::npos);
}

TEST(ApiErrors, ForbiddenNamesVerbAndResource) {
  auto e = api_error(
      response(
          403,
          R"({"kind":"Status","reason":"Forbidden","code":403,"message":"secrets is forbidden: User \"system:serviceaccount:x:limited\" cannot list resource \"secrets\" in API group \"\" in the namespace \"x\""})"),
      "list", "secrets in namespace \"x\"");
  EXPECT_TRUE(e.forbidden());
  EXPECT_NE(std::string(e.what()).find("list secrets in namespace \"x\" failed: Forbidden"), std::string::npos);
  EXPECT_NE(e.hint().find("may not list secrets"), std::string::npos);
}

TEST(ApiErrors, TooManyRequestsKeepsRetryAfter) {
  auto e = api_error(response(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "7"), "list", "pods");
  EXPECT_TRUE(e.too_many_requests());
  EXPECT_EQ(e.retry_after(), std::chrono::milliseconds(7000));
}

TEST(ApiErrors, NonStatusBodies) {
  auto e = api_error(response(502, "<html>bad gateway</html>"), "get", "pods");
  EXPECT_EQ(e.code(), 502);
  EXPECT_NE(std::string(e.what()).find("bad gateway"), std::string::npos);
}

}  // namespace sg::kube
