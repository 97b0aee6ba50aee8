#include "http/site_files.h"

#include <fstream>
#include <map>
#include <stdexcept>
#include <system_error>

namespace cardbound::server
{

namespace fs = std::filesystem;

namespace
{

std::string_view path_of(std::string_view target)
{
    return target.substr(0, target.find_first_of("?#"));
}

// Only what a plain file name needs: no percent-encoding to undo, no
// backslashes, no dot segments (".", "..", or hidden files), no empty
// segments ("//" would make the rest an absolute path).
bool plain_path(std::string_view path)
{
    if (path.empty() || path.front() != '/' || path.find("//") != std::string_view::npos)
        return false;
    for (char c : path) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return path.find("/.") == std::string_view::npos;
}

std::string content_type(const fs::path &file)
{
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"}};
    auto it = types.find(file.extension().string());
    return it != types.end() ? it->second : "application/octet-stream";
}

} // namespace

SiteFiles::SiteFiles(const fs::path &root, std::vector<std::string> protected_prefixes)
    : protected_(std::move(protected_prefixes))
{
    std::error_code ec;
    root_ = fs::canonical(root, ec);
    if (ec || !fs::is_directory(root_))
        throw std::runtime_error("--site " + root.string() + " is not a directory");
    for (const auto &p : protected_) {
        if (p.empty() || p.front() != '/')
            throw std::runtime_error("--protect " + p + " must start with '/'");
        if (p == "/")
            throw std::runtime_error(
                "--protect / would protect the front page, where users log in");
    }
}

bool SiteFiles::is_protected(std::string_view target) const
{
    std::string path(path_of(target));
    if (!path.ends_with('/'))
        path += '/';
    for (const auto &p : protected_) {
        if (path.starts_with(p))
            return true;
    }
    return false;
}

std::optional<SiteFiles::Located> SiteFiles::locate(std::string_view target) const
{
    std::string_view path = path_of(target);
    if (!plain_path(path))
        return std::nullopt;
    std::error_code ec;
    fs::path file = root_ / fs::path(std::string(path.substr(1)));
    if (fs::is_directory(file, ec))
        file /= "index.html";
    // Symbolic links may point anywhere: the resolved file must still be inside.
    fs::path real = fs::canonical(file, ec);
    if (ec || !fs::is_regular_file(real, ec))
        return std::nullopt;
    auto [end, _] = std::mismatch(root_.begin(), root_.end(), real.begin(), real.end());
    if (end != root_.end())
        return std::nullopt;
    std::string resolved = "/" + real.lexically_relative(root_).generic_string();
    return Located{real, is_protected(path) || is_protected(resolved)};
}

std::optional<StaticFile> SiteFiles::read(const Located &located) const
{
    std::error_code ec;
    auto size = fs::file_size(located.file, ec);
    if (ec || size > kMaxFileSize)
        return std::nullopt;
    // One byte more than the size said: a file that grew meanwhile is not
    // served half (nor read past the limit).
    std::ifstream in(located.file, std::ios::binary);
    std::string body(static_cast<std::size_t>(size) + 1, '\0');
    in.read(body.data(), static_cast<std::streamsize>(body.size()));
    if (in.bad() || static_cast<std::uintmax_t>(in.gcount()) != size)
        return std::nullopt;
    body.resize(static_cast<std::size_t>(size));
    return StaticFile{std::move(body), content_type(located.file)};
}

} // namespace cardbound::server
