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
    // The site's pages and their assets, read whole into memory: not a file
    // server for downloads.
    static constexpr std::uintmax_t kMaxFileSize = 1024 * 1024;

    struct Located {
        std::filesystem::path file; // resolved, inside the root
        // Needs a live session: by the path asked for or by the file it
        // resolves to (a link from a public part into a protected one).
        bool is_protected = false;
    };

    // Throws std::runtime_error if root is not a readable directory or a
    // prefix does not start with '/' or covers "/" (where the login is).
    SiteFiles(const std::filesystem::path &root, std::vector<std::string> protected_prefixes);

    // The file for a request path (the query is ignored): a directory gives
    // its index.html. Nothing outside the root, no dot files, no empty
    // segments, nothing but plain path characters; std::nullopt when there
    // is no such file. Reads nothing: a refused request costs no file read.
    std::optional<Located> locate(std::string_view target) const;

    // Its contents; std::nullopt if it is over kMaxFileSize or changed.
    std::optional<StaticFile> read(const Located &located) const;

    // Whether the path asked for needs a live, confirmed session. "/private"
    // counts as "/private/" (it would serve that directory's index).
    bool is_protected(std::string_view target) const;

  private:
    std::filesystem::path root_;
    std::vector<std::string> protected_;
};

} // namespace cardbound::server
