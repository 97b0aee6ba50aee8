#include "app/register.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cardbound::host;
using Args = std::vector<std::string>;

namespace
{

// The CMake cache variables CARDBOUND_EXTENSION_ID and CARDBOUND_GECKO_ID.
constexpr const char *kExtensionOrigin = "chrome-extension://" CARDBOUND_EXTENSION_ID "/";
constexpr const char *kGeckoId = CARDBOUND_GECKO_ID;

Registration parse(Args args)
{
    return parse_registration(args);
}

std::string path_for(Args args, const char *home = "/home/u")
{
    return manifest_path(parse(std::move(args)), home).string();
}

} // namespace

TEST_CASE("the Chromium and Chrome manifest names the host and the extension origin")
{
    for (Browser b : {Browser::Chromium, Browser::Chrome}) {
        auto m = nlohmann::json::parse(render_manifest(b, "/usr/bin/cardbound-host"));
        CHECK(m == nlohmann::json{{"name", "org.cardbound.host"},
                                  {"description", "Cardbound smart card host"},
                                  {"path", "/usr/bin/cardbound-host"},
                                  {"type", "stdio"},
                                  {"allowed_origins", {kExtensionOrigin}}});
    }
}

TEST_CASE("the Firefox manifest names the host and the gecko id")
{
    auto m = nlohmann::json::parse(render_manifest(Browser::Firefox, "/opt/cb/cardbound-host"));
    CHECK(m == nlohmann::json{{"name", "org.cardbound.host"},
                              {"description", "Cardbound smart card host"},
                              {"path", "/opt/cb/cardbound-host"},
                              {"type", "stdio"},
                              {"allowed_extensions", {kGeckoId}}});
}

TEST_CASE("the host path is escaped, not pasted, into the manifest")
{
    const std::string odd = "/tmp/a \"quoted\" \\ @HOST_PATH@ @GECKO_ID@\n/cardbound-host";
    for (Browser b : {Browser::Chromium, Browser::Firefox}) {
        auto m = nlohmann::json::parse(render_manifest(b, odd));
        CHECK(m["path"] == odd);
    }
    CHECK_THROWS_AS(render_manifest(Browser::Chrome, "/tmp/\xff"), std::invalid_argument);
}

TEST_CASE("each browser's manifest goes where it looks")
{
    CHECK(path_for({"--register", "--browser", "chromium"}) ==
          "/home/u/.config/chromium/NativeMessagingHosts/org.cardbound.host.json");
    CHECK(path_for({"--register", "--browser", "chrome", "--user"}) ==
          "/home/u/.config/google-chrome/NativeMessagingHosts/org.cardbound.host.json");
    CHECK(path_for({"--unregister", "--browser=firefox"}) ==
          "/home/u/.mozilla/native-messaging-hosts/org.cardbound.host.json");
    CHECK(path_for({"--register", "--browser", "chromium", "--system"}, nullptr) ==
          "/etc/chromium/native-messaging-hosts/org.cardbound.host.json");
    CHECK(path_for({"--system", "--browser", "chrome", "--register"}, nullptr) ==
          "/etc/opt/chrome/native-messaging-hosts/org.cardbound.host.json");
    CHECK(path_for({"--register", "--browser", "firefox", "--system"}, nullptr) ==
          "/usr/lib/mozilla/native-messaging-hosts/org.cardbound.host.json");
    CHECK(path_for({"--register", "--browser", "chrome", "--profile", "/tmp/p"}, nullptr) ==
          "/tmp/p/NativeMessagingHosts/org.cardbound.host.json");
}

TEST_CASE("the user scope needs an absolute HOME")
{
    auto r = parse({"--register", "--browser", "chromium"});
    CHECK_THROWS_WITH_AS(manifest_path(r, nullptr), doctest::Contains("HOME is not set"),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(manifest_path(r, ""), doctest::Contains("HOME is not set"),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(manifest_path(r, "home/u"), doctest::Contains("not an absolute path"),
                         std::runtime_error);
}

TEST_CASE("the registration command line is parsed strictly")
{
    auto r = parse({"--register", "--browser", "chrome", "--host-path", "/x/host"});
    CHECK(r.action == Registration::Action::Register);
    CHECK(r.browser == Browser::Chrome);
    CHECK(r.scope == Registration::Scope::User);
    CHECK(r.host_path == "/x/host");
    r = parse({"--unregister", "--profile=/p", "--browser", "chromium"});
    CHECK(r.action == Registration::Action::Unregister);
    CHECK(r.scope == Registration::Scope::Profile);
    CHECK(r.profile_dir == "/p");

    const std::pair<Args, const char *> bad[] = {
        {{"--register", "--browser", "safari"}, "unknown browser 'safari'"},
        {{"--register", "--browser"}, "--browser needs a browser"},
        {{"--register", "--browser", "--user"}, "--browser needs a browser"},
        {{"--register", "--browser="}, "--browser needs a browser"},
        {{"--register"}, "--register needs --browser"},
        {{"--unregister", "--user"}, "--unregister needs --browser"},
        {{"--register", "--unregister", "--browser", "chrome"}, "exclude each other"},
        {{"--register", "--register", "--browser", "chrome"}, "--register is given twice"},
        {{"--register", "--browser", "chrome", "--browser", "chrome"}, "is given twice"},
        {{"--register", "--browser", "chrome", "--user", "--system"}, "--user and --system"},
        {{"--register", "--browser", "chrome", "--system", "--profile", "/p"},
         "--profile and --system"},
        {{"--register", "--browser", "chrome", "--user", "--profile", "/p"},
         "--profile and --user"},
        {{"--register", "--browser", "firefox", "--profile", "/p"},
         "--profile is only for chromium and chrome"},
        {{"--register", "--browser", "chrome", "--profile"}, "--profile needs a directory"},
        {{"--register", "--browser", "chrome", "--host-path"}, "--host-path needs a path"},
        {{"--unregister", "--browser", "chrome", "--host-path", "/x"},
         "--host-path only goes with --register"},
        {{"--register", "--browser", "chrome", "--user=yes"}, "--user takes no value"},
        {{"--register", "--browser", "chrome", "chrome-extension://x/"},
         "unknown argument 'chrome-extension://x/'"},
    };
    for (const auto &[args, message] : bad) {
        CAPTURE(message);
        CHECK_THROWS_WITH_AS(parse(args), doctest::Contains(message), UsageError);
    }
}

TEST_CASE("only --register and --unregister turn the host into a registration tool")
{
    CHECK(wants_registration({"--register"}));
    CHECK(wants_registration({"--browser", "chrome", "--unregister"}));
    CHECK_FALSE(wants_registration({}));
    CHECK_FALSE(wants_registration({"chrome-extension://jiikaeniebdgdahgpccaombblnamdlld/"}));
    CHECK_FALSE(wants_registration(
        {"/home/u/.mozilla/native-messaging-hosts/org.cardbound.host.json", kGeckoId}));
    CHECK_FALSE(wants_registration({"--browser", "chrome"}));
}
