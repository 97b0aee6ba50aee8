// Registration: `cardbound-host --register` writes the native messaging host
// manifest (org.cardbound.host.json) where a browser looks for it, and
// `--unregister` removes it. The manifest text comes from manifests/*.json.in,
// compiled in by CMake. See manifests/README.md.
#pragma once

#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cardbound::host
{

inline constexpr std::string_view kNativeHostName = "org.cardbound.host";

enum class Browser { Chromium, Chrome, Firefox };

struct Registration {
    enum class Action { Register, Unregister };
    enum class Scope { User, System, Profile };
    Action action = Action::Register;
    Browser browser = Browser::Chromium;
    Scope scope = Scope::User;
    std::string profile_dir; // Scope::Profile: the browser's user data directory
    std::string host_path;   // Register: the host the manifest names; empty: this binary
};

// A bad command line: the message says what is wrong (exit status 2).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Whether the arguments ask for --register or --unregister. Without either,
// the host serves the browser and ignores its arguments.
bool wants_registration(const std::vector<std::string> &args);

// Parses the registration command line (without the program name); throws
// UsageError.
Registration parse_registration(const std::vector<std::string> &args);

// The manifest for `browser`, naming `host_path`: the template with its
// placeholders filled in (values JSON-escaped).
std::string render_manifest(Browser browser, std::string_view host_path);

// The directory the browser reads for this registration. `home` is $HOME
// (may be null); throws std::runtime_error if the user scope needs it and it
// is unset or not absolute.
std::filesystem::path manifest_directory(const Registration &registration, const char *home);

// manifest_directory() / "org.cardbound.host.json".
std::filesystem::path manifest_path(const Registration &registration, const char *home);

// The --help lines for registration, with each browser's directories.
std::string registration_help();

// Runs `cardbound-host --register|--unregister ...`: prints what it did to
// `out`, errors to `err`. Returns the exit status: 0 done, 1 the file could not
// be written or removed, 2 a usage error.
int run_registration(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace cardbound::host
