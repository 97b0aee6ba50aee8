// A web site's own files, served by cardbound-server next to the Cardbound
// endpoints (--site DIR), some of them only to a live card session
// (--protect PREFIX). Lets a site be protected without a proxy in front.
#pragma once

#include "http/router.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardbound::server
{

class SiteFiles
{
  public:
    static constexpr std::uintmax_t kMaxFileSize = 16 * 1024 * 1024;

    // Throws std::runtime_error if root is not a readable directory or a
    // prefix does not start with '/'.
    SiteFiles(const std::filesystem::path &root, std::vector<std::string> protected_prefixes);

    // The file for a request path (the query is ignored): a directory gives
    // its index.html. Nothing outside the root, no dot files, nothing but
    // plain path characters; std::nullopt when there is no such file.
    std::optional<StaticFile> find(std::string_view target) const;

    // Whether the path needs a live, confirmed session.
    bool is_protected(std::string_view target) const;

  private:
    std::filesystem::path root_;
    std::vector<std::string> protected_;
};

} // namespace cardbound::server
