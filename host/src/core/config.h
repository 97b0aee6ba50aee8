// The host's configuration: which PKCS#11 modules to load and which servers
// to trust. Read from /etc/cardbound/host.json, then the user's
// ~/.config/cardbound/host.json, then the file named by CARDBOUND_HOST_CONFIG
// (tests); each later file replaces the keys it sets.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cardbound::host
{

struct Config {
    std::vector<std::string> pkcs11_modules; // default: p11-kit proxy, else OpenSC
    bool use_system_trust = true;            // the system CA store
    std::vector<std::string> ca_files;       // extra trusted CAs (PEM)
    // origin -> allowed server certificate SHA-256 fingerprints (hex); when an
    // origin has pins, its server certificate must be one of them.
    std::map<std::string, std::vector<std::string>> pins;
    bool allow_http_localhost = false; // development switch
    int max_clock_skew_seconds = 60;
    std::string log_file; // empty: stderr
    std::string log_level = "info";
    std::vector<std::string> loaded_from; // the files that were read
};

// Reads the configuration files. Throws std::runtime_error naming the file
// and the key when one is invalid.
Config load_config();

// Parses one configuration document on top of `base` (exposed for tests).
void apply_config_text(Config &base, const std::string &text, const std::string &source);

std::vector<std::string> default_pkcs11_modules();

} // namespace cardbound::host
