# Debian's packages only (scripts/bootstrap installs them). Each library has
# one job: libcurl is the HTTP client, Poco serves HTTP/WebSocket, yaml-cpp
# reads YAML, nlohmann-json handles JSON, libgit2 reads checkouts, spdlog logs,
# RE2 matches user-given patterns in time linear in the input.
find_package(PkgConfig REQUIRED)
find_package(CURL 7.77 REQUIRED)          # 7.77 brings the *_BLOB TLS options
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Net NetSSL Util)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(RDKAFKA IMPORTED_TARGET rdkafka)
