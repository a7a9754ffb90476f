// Reading the platform section: device groups, their access links, the WAN and cloud servers.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "edgetwin/policies/decision.hpp"

#include "scenario_detail.hpp"

namespace edgetwin::sim {

const std::vector<std::string>& policy_roles() {
  static const std::vector<std::string> roles = {"clocks", "placement", "exit", "batching"};
  return roles;
}

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

bool parse_double(const std::string& text, double& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(out);
}

}  // namespace

std::vector<BandwidthPoint> read_bandwidth_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw common::DataError(path, "", "cannot open file");
  std::vector<BandwidthPoint> rows;
  bool header = false;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    const std::string where = "line " + std::to_string(number);
    if (!header) {
      if (text != "time_s,bandwidth_bps") {
        throw common::DataError(path, where, "found header \"" + text + "\", allowed: time_s,bandwidth_bps");
      }
      header = true;
      continue;
    }
    const auto comma = text.find(',');
    BandwidthPoint p;
    if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos) {
      throw common::DataError(path, where,
                              "found \"" + text + "\", allowed: two columns time_s,bandwidth_bps");
    }
    if (!parse_double(text.substr(0, comma), p.time_s) ||
        !parse_double(text.substr(comma + 1), p.bandwidth_bps)) {
      throw common::DataError(path, where, "found \"" + text + "\", allowed: two finite numbers");
    }
    if (p.time_s < 0 || (!rows.empty() && p.time_s <= rows.back().time_s)) {
      throw common::DataError(path, where,
                              "found time_s " + trim(text.substr(0, comma)) +
                                  ", allowed: >= 0 and greater than the previous row's");
    }
    if (!(p.bandwidth_bps > 0)) {
      throw common::DataError(
          path, where, "found bandwidth_bps " + trim(text.substr(comma + 1)) + ", allowed: greater than 0");
    }
    rows.push_back(p);
  }
  if (!header) throw common::DataError(path, "", "found no header, allowed: time_s,bandwidth_bps then rows");
  if (rows.empty())
    throw common::DataError(path, "", "found no rows, allowed: at least one time_s,bandwidth_bps row");
  return rows;
}

namespace detail {

using common::JsonReader;

namespace {

void read_trace_process(const common::JsonReader& p, BandwidthProcessSpec& out, ReadContext& ctx) {
  ctx.errors.check([&] {
    const std::string file = p.string("file");
    if (file.empty())
      p.fail("file", "found an empty string, allowed: a CSV path relative to the scenario file");
    const std::filesystem::path path =
        std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : ctx.base_dir / file;
    out.trace_file = std::filesystem::absolute(path).lexically_normal().string();
    try {
      out.trace = read_bandwidth_trace(out.trace_file);
    } catch (const common::DataError& e) {
      p.fail("file", "bandwidth trace " + std::string(e.what()));
    }
  });
  ctx.errors.check([&] { out.loop = p.boolean_or("loop", true); });
}

void read_markov_process(const common::JsonReader& p, double link_bandwidth_bps, BandwidthProcessSpec& out,
                         ReadContext& ctx) {
  ctx.errors.check([&] {
    out.good_bandwidth_bps = positive_or(p, "good_bandwidth_bps", link_bandwidth_bps, kMaxBandwidthBps);
  });
  ctx.errors.check([&] {
    out.bad_bandwidth_bps = positive(p, "bad_bandwidth_bps", kMaxBandwidthBps);
    if (out.good_bandwidth_bps > 0 && out.bad_bandwidth_bps > out.good_bandwidth_bps) {
      p.fail("bad_bandwidth_bps", "found " + p.node().at("bad_bandwidth_bps").dump() +
                                      ", allowed: at most good_bandwidth_bps (" +
                                      nlohmann::json(out.good_bandwidth_bps).dump() + ")");
    }
  });
  ctx.errors.check([&] { out.mean_good_s = positive(p, "mean_good_s", kMaxDurationS); });
  ctx.errors.check([&] { out.mean_bad_s = positive(p, "mean_bad_s", kMaxDurationS); });
}

BandwidthProcessSpec read_process(const common::JsonReader& p, double link_bandwidth_bps, ReadContext& ctx) {
  BandwidthProcessSpec out;
  if (!ctx.errors.check([&] {
        out.kind = p.has("kind") ? p.one_of("kind", {"constant", "trace", "markov"}) : "constant";
      })) {
    return out;
  }
  if (out.kind == "constant") {
    check_keys(p, {"kind"}, ctx.errors);
  } else if (out.kind == "trace") {
    check_keys(p, {"kind", "file", "loop"}, ctx.errors);
    read_trace_process(p, out, ctx);
  } else {
    check_keys(p, {"kind", "good_bandwidth_bps", "bad_bandwidth_bps", "mean_good_s", "mean_bad_s"},
               ctx.errors);
    read_markov_process(p, link_bandwidth_bps, out, ctx);
  }
  return out;
}

const traces::Board* read_board(const common::JsonReader& r, const std::string& kind, std::string& id,
                                ReadContext& ctx) {
  const traces::Board* board = nullptr;
  ctx.errors.check([&] {
    id = r.string("board");
    std::vector<std::string> allowed;
    for (const auto& [bid, b] : ctx.catalog.boards()) {
      if (b.kind == kind) allowed.push_back(bid);
    }
    if (!ctx.catalog.has_board(id)) {
      r.fail("board", "found unknown board \"" + id + "\", allowed (" + kind + " boards): " + join(allowed));
    }
    if (r.has("release")) {
      // A release of the board file: the catalog entry "<file id>@<release>" (docs/boards.md).
      const std::string release = r.string("release");
      const traces::Board& named = ctx.catalog.board(id);
      std::vector<std::string> releases;
      std::string found;
      for (const auto& rid : named.release_ids) {
        const traces::Board& rb = ctx.catalog.board(rid);
        releases.push_back(rb.release.id + " (board \"" + rid + "\")");
        if (rb.release.id == release) found = rid;
      }
      if (found.empty()) {
        r.fail("release", "found \"" + release + "\", allowed on " + named.base_id + ": " + join(releases));
      }
      id = found;
    }
    const traces::Board& b = ctx.catalog.board(id);
    if (b.kind != kind) {
      r.fail("board", "found \"" + id + "\", a" + (b.kind == "edge" ? "n " : " ") + b.kind +
                          " board; allowed here (" + kind + " boards): " + join(allowed));
    }
    board = &b;
  });
  return board;
}

void read_power_mode(const common::JsonReader& g, const traces::Board* board, DeviceGroupSpec& s,
                     ReadContext& ctx) {
  ctx.errors.check([&] {
    if (!g.has("power_mode")) {
      if (board != nullptr) s.power_mode = board->default_power_mode;
      return;
    }
    s.power_mode = static_cast<int>(g.integer_in("power_mode", 0, 1000));
    if (board == nullptr) return;
    std::vector<std::string> allowed;
    for (const auto& m : board->power_modes) allowed.push_back(std::to_string(m.id) + " (" + m.name + ")");
    const bool known = std::any_of(board->power_modes.begin(), board->power_modes.end(),
                                   [&](const traces::PowerMode& m) { return m.id == s.power_mode; });
    if (!known) {
      g.fail("power_mode",
             "found " + std::to_string(s.power_mode) + ", allowed on " + board->id + ": " + join(allowed));
    }
  });
}

void read_models(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  ctx.errors.check([&] {
    const auto models = g.strings("models");
    if (models.empty()) g.fail("models", "found an empty array, allowed: at least one model id");
    for (std::size_t i = 0; i < models.size(); ++i) {
      if (!ctx.catalog.has_model(models[i])) {
        ctx.errors.add(common::DataError(
            g.file(), g.pointer_to("models") + "/" + std::to_string(i),
            "found unknown model \"" + models[i] + "\", allowed: " + join(ctx.catalog.model_ids())));
      } else if (std::find(s.models.begin(), s.models.end(), models[i]) != s.models.end()) {
        ctx.errors.add(common::DataError(g.file(), g.pointer_to("models") + "/" + std::to_string(i),
                                         "found \"" + models[i] + "\" twice; allowed: each model once"));
      } else {
        s.models.push_back(models[i]);
      }
    }
  });
}

void read_policies(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  const auto entries = optional_object(g, "policies", ctx.errors);
  if (!entries) return;
  // A key names one role, or several joined by '+' for one policy instance that plays them all
  // ("exit+clocks"); each role has at most one policy.
  std::map<policies::Role, std::string> played_by;
  std::set<policies::Role> roles;
  for (auto it = entries->node().begin(); it != entries->node().end(); ++it) {
    const std::string key = it.key();
    std::vector<policies::Role> key_roles;
    try {
      key_roles = policies::roles_from_key(key);
    } catch (const std::invalid_argument&) {
      ctx.errors.add(common::DataError(
          entries->file(), entries->pointer_to(key),
          "unknown field \"" + key + "\"; allowed fields here: " + join(policy_roles()) +
              ", or several roles joined by '+' for one policy that plays them all (e.g. exit+clocks), each "
              "role once"));
      continue;
    }
    bool clash = false;
    for (const auto role : key_roles) {
      const auto [other, fresh] = played_by.emplace(role, key);
      if (fresh) continue;
      clash = true;
      ctx.errors.add(common::DataError(entries->file(), entries->pointer_to(key),
                                       std::string("role ") + policies::to_string(role) +
                                           " is already played by the policy at \"" + other->second +
                                           "\"; a role has one policy"));
    }
    if (clash) continue;
    const auto p = optional_object(*entries, key.c_str(), ctx.errors);
    if (!p) continue;
    check_keys(*p, {"name", "params"}, ctx.errors);
    PolicySpec spec;
    ctx.errors.check([&] { spec.name = read_name(*p); });
    if (p->has("params")) ctx.errors.check([&] { spec.params = p->object("params").node(); });
    s.policies[key] = spec;
    roles.insert(key_roles.begin(), key_roles.end());
  }
  // A serving device (batching role) runs whole models in batches on its GPU; per-frame exits
  // and splits do not combine with batches (docs/simulation.md, "Serving devices").
  if (roles.count(policies::Role::batching) != 0) {
    for (const auto role : {policies::Role::exit, policies::Role::placement}) {
      if (roles.count(role) == 0) continue;
      const std::string name = policies::to_string(role);
      ctx.errors.check([&] {
        entries->fail(played_by.at(role), "found the " + name +
                                              " role beside a batching policy; allowed with batching: clocks "
                                              "only (a serving device runs whole models on its GPU)");
      });
    }
  }
}

void read_decision(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  const auto d = optional_object(g, "decision", ctx.errors);
  if (!d) return;
  check_keys(*d, {"cost", "cost_s", "board_seconds_per_host_second", "mode"}, ctx.errors);
  auto& spec = s.decision;
  ctx.errors.check([&] {
    spec.cost = d->has("cost") ? d->one_of("cost", {"none", "fixed", "reported", "measured"}) : "none";
  });
  ctx.errors.check([&] { spec.mode = d->has("mode") ? d->one_of("mode", {"wait", "concurrent"}) : "wait"; });
  ctx.errors.check([&] {
    if (d->has("cost_s") && spec.cost != "fixed")
      d->fail("cost_s", "found cost_s with cost \"" + spec.cost + "\"; allowed only with cost \"fixed\"");
    if (spec.cost == "fixed") spec.cost_s = d->number_in("cost_s", 0.0, 10.0);
  });
  ctx.errors.check([&] {
    if (d->has("board_seconds_per_host_second") && spec.cost != "measured") {
      d->fail("board_seconds_per_host_second",
              "found it with cost \"" + spec.cost + "\"; allowed only with cost \"measured\"");
    }
    spec.board_seconds_per_host_second = d->has("board_seconds_per_host_second")
                                             ? d->number_in("board_seconds_per_host_second", 1e-3, 1e3)
                                             : 1.0;
  });
}

// "serving": queues, memory, interference and utility of a serving device (docs/scenarios.md).
void read_serving(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  const auto v = optional_object(g, "serving", ctx.errors);
  if (!v) return;
  check_keys(*v,
             {"queue_limit", "timeout_s", "memory_fraction", "instance_overhead_bytes", "interference",
              "interference_alpha", "slowdown_file", "utility"},
             ctx.errors);
  auto& spec = s.serving;
  spec.given = true;
  ctx.errors.check([&] {
    if (!s.serving_group()) {
      v->fail("", "found \"serving\" on a group without a batching policy; allowed only on serving groups");
    }
  });
  ctx.errors.check([&] {
    spec.queue_limit = v->has("queue_limit") ? static_cast<int>(v->integer_in("queue_limit", 0, 1000000)) : 0;
  });
  ctx.errors.check(
      [&] { spec.timeout_s = v->has("timeout_s") ? v->number_in("timeout_s", 0.0, 3600.0) : 0.0; });
  ctx.errors.check([&] {
    spec.memory_fraction = v->has("memory_fraction") ? v->number_in("memory_fraction", 1e-6, 1.0) : 1.0;
  });
  ctx.errors.check([&] {
    spec.instance_overhead_bytes =
        v->has("instance_overhead_bytes") ? v->number_in("instance_overhead_bytes", 0.0, 1e12) : 0.0;
  });
  ctx.errors.check([&] {
    spec.interference = v->has("interference") ? v->one_of("interference", {"trace", "corunner"}) : "trace";
  });
  ctx.errors.check([&] {
    spec.interference_alpha =
        v->has("interference_alpha") ? v->number_in("interference_alpha", 0.0, 10.0) : 0.1;
  });
  ctx.errors.check([&] {
    if (!v->has("slowdown_file")) return;
    if (spec.interference != "corunner") {
      v->fail("slowdown_file", "found it with interference \"" + spec.interference +
                                   "\"; allowed only with interference \"corunner\"");
    }
    const std::filesystem::path given = v->string("slowdown_file");
    spec.slowdown_file = std::filesystem::absolute(given.is_absolute() ? given : ctx.base_dir / given)
                             .lexically_normal()
                             .string();
    if (!std::filesystem::is_regular_file(spec.slowdown_file)) {
      v->fail("slowdown_file",
              "found \"" + given.string() + "\" (" + spec.slowdown_file +
                  "), allowed: an existing co-runner slowdown file, relative to the scenario file");
    }
    spec.slowdowns = std::make_shared<traces::CorunnerTable>(traces::CorunnerTable::load(spec.slowdown_file));
  });
  const auto u = optional_object(*v, "utility", ctx.errors);
  if (!u) return;
  check_keys(*u, {"throughput_scale_hz", "latency_weight", "slo_penalty", "slot_s"}, ctx.errors);
  auto& util = spec.utility;
  ctx.errors.check([&] {
    util.throughput_scale_hz =
        u->has("throughput_scale_hz") ? u->number_in("throughput_scale_hz", 1e-6, 1e9) : 100.0;
  });
  ctx.errors.check([&] {
    util.latency_weight = u->has("latency_weight") ? u->number_in("latency_weight", 0.0, 1e6) : 0.5;
  });
  ctx.errors.check(
      [&] { util.slo_penalty = u->has("slo_penalty") ? u->number_in("slo_penalty", 0.0, 1e6) : 1.0; });
  ctx.errors.check([&] { util.slot_s = u->has("slot_s") ? u->number_in("slot_s", 1e-3, 1e6) : 1.0; });
}

// DVFO's channel split (docs/simulation.md, "Channel split"); absent = disabled.
void read_channel_split(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  const auto c = optional_object(g, "channel_split", ctx.errors);
  if (!c) return;
  check_keys(*c,
             {"fixed_fraction", "exponent", "codec_bits", "entropy_ratio", "encode_s_per_melement",
              "fusion_s", "ranking"},
             ctx.errors);
  auto& spec = s.channel_split;
  spec.enabled = true;
  const ChannelSplitSpec defaults;
  ctx.errors.check([&] {
    spec.fixed_fraction =
        c->has("fixed_fraction") ? c->number_in("fixed_fraction", 0.0, 1.0) : defaults.fixed_fraction;
  });
  ctx.errors.check(
      [&] { spec.exponent = c->has("exponent") ? c->number_in("exponent", 0.25, 4.0) : defaults.exponent; });
  ctx.errors.check([&] {
    spec.codec_bits =
        c->has("codec_bits") ? static_cast<int>(c->integer_in("codec_bits", 1, 32)) : defaults.codec_bits;
  });
  ctx.errors.check([&] {
    spec.entropy_ratio =
        c->has("entropy_ratio") ? c->number_in("entropy_ratio", 1e-3, 1.0) : defaults.entropy_ratio;
  });
  ctx.errors.check([&] {
    spec.encode_s_per_melement = c->has("encode_s_per_melement")
                                     ? c->number_in("encode_s_per_melement", 0.0, 10.0)
                                     : defaults.encode_s_per_melement;
  });
  ctx.errors.check(
      [&] { spec.fusion_s = c->has("fusion_s") ? c->number_in("fusion_s", 0.0, 1.0) : defaults.fusion_s; });
  ctx.errors.check([&] {
    spec.ranking = c->has("ranking") ? c->one_of("ranking", {"attention", "random"}) : defaults.ranking;
  });
  ctx.errors.check([&] {
    if (s.backend == "hil")
      g.fail("channel_split",
             "found a channel split on a \"hil\" group; allowed only with backend \"trace\"");
  });
}

void read_backend(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  ctx.errors.check([&] { s.backend = g.has("backend") ? g.one_of("backend", {"trace", "hil"}) : "trace"; });
  ctx.errors.check([&] {
    if (s.backend != "hil") {
      if (g.has("hil_endpoint")) {
        g.fail("hil_endpoint",
               "found a HIL endpoint on a \"" + s.backend + "\" group; allowed only with backend \"hil\"");
      }
      return;
    }
    s.hil_endpoint = g.string("hil_endpoint");
    const auto colon = s.hil_endpoint.rfind(':');
    const std::string port = colon == std::string::npos ? "" : s.hil_endpoint.substr(colon + 1);
    if (colon == 0 || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
      g.fail("hil_endpoint",
             "found \"" + s.hil_endpoint + "\", allowed: HOST:PORT of a board daemon (edgetwin-boardd)");
    }
  });
  ctx.errors.check([&] {
    if (s.backend == "hil" && s.count != 1) {
      g.fail("count",
             "found " + std::to_string(s.count) + " on a \"hil\" group, allowed: 1 (one real board)");
    }
  });
}

// Ambient and initial temperatures of the boards' thermal model (docs/thermal.md): sensible
// ranges, wider than the modules' operating ranges so that sweeps can explore hot enclosures.
constexpr double kMinTempC = -50, kMaxAmbientC = 100, kMaxInitialTempC = 150;

void read_temperatures(const common::JsonReader& g, DeviceGroupSpec& s, ReadContext& ctx) {
  ctx.errors.check(
      [&] { s.ambient_c = g.has("ambient_c") ? g.number_in("ambient_c", kMinTempC, kMaxAmbientC) : 25.0; });
  ctx.errors.check([&] {
    s.initial_temp_c =
        g.has("initial_temp_c") ? g.number_in("initial_temp_c", kMinTempC, kMaxInitialTempC) : s.ambient_c;
  });
}

DeviceGroupSpec read_group(const common::JsonReader& g, ReadContext& ctx) {
  check_keys(g,
             {"name", "board", "release", "count", "power_mode", "models", "policies", "decision", "backend",
              "hil_endpoint", "access", "ambient_c", "initial_temp_c", "serving", "channel_split"},
             ctx.errors);
  DeviceGroupSpec s;
  ctx.errors.check([&] { s.name = read_name(g); });
  const traces::Board* board = read_board(g, "edge", s.board, ctx);
  ctx.errors.check(
      [&] { s.count = static_cast<int>(g.has("count") ? g.integer_in("count", 1, kMaxGroupCount) : 1); });
  read_power_mode(g, board, s, ctx);
  read_models(g, s, ctx);
  read_policies(g, s, ctx);
  read_backend(g, s, ctx);
  read_decision(g, s, ctx);
  read_serving(g, s, ctx);
  read_temperatures(g, s, ctx);
  read_channel_split(g, s, ctx);
  const LinkSpec access_defaults{100e6, 0.002, {}};
  const auto access = optional_object(g, "access", ctx.errors);
  s.access = access ? read_link(*access, access_defaults, ctx, true) : access_defaults;
  if (access) {
    ctx.errors.check([&] {
      s.access.radio_tx_power_w = access->has("radio_tx_power_w")
                                      ? access->number_in("radio_tx_power_w", 0.0, kMaxRadioPowerW)
                                      : LinkSpec{}.radio_tx_power_w;
    });
    ctx.errors.check([&] {
      s.access.radio_rx_power_w = access->has("radio_rx_power_w")
                                      ? access->number_in("radio_rx_power_w", 0.0, kMaxRadioPowerW)
                                      : LinkSpec{}.radio_rx_power_w;
    });
  }
  return s;
}

CloudSpec read_cloud(const common::JsonReader& c, ReadContext& ctx) {
  check_keys(c, {"name", "board", "count"}, ctx.errors);
  CloudSpec s;
  ctx.errors.check([&] { s.name = read_name(c); });
  read_board(c, "cloud", s.board, ctx);
  ctx.errors.check(
      [&] { s.count = static_cast<int>(c.has("count") ? c.integer_in("count", 1, kMaxCloudCount) : 1); });
  return s;
}

}  // namespace

LinkSpec read_link(const common::JsonReader& r, const LinkSpec& defaults, ReadContext& ctx, bool access) {
  if (access) {
    check_keys(r, {"bandwidth_bps", "latency_s", "process", "radio_tx_power_w", "radio_rx_power_w"},
               ctx.errors);
  } else {
    check_keys(r, {"bandwidth_bps", "latency_s", "process", "sharing"}, ctx.errors);  // the WAN
  }
  LinkSpec link = defaults;
  ctx.errors.check([&] {
    link.bandwidth_bps = positive_or(r, "bandwidth_bps", defaults.bandwidth_bps, kMaxBandwidthBps);
  });
  ctx.errors.check(
      [&] { link.latency_s = non_negative_or(r, "latency_s", defaults.latency_s, kMaxLatencyS); });
  if (const auto process = optional_object(r, "process", ctx.errors)) {
    link.process = read_process(*process, link.bandwidth_bps, ctx);
  }
  return link;
}

void read_platform(const common::JsonReader& platform, ReadContext& ctx, ScenarioSpec& spec) {
  check_keys(platform, {"groups", "wan", "clouds"}, ctx.errors);
  std::vector<std::string> names;
  if (!platform.has("groups")) {
    ctx.errors.add(
        common::DataError(ctx.file, platform.pointer_to("groups"),
                          "required field is missing; allowed: an array of at least one device group"));
  } else if (platform.node().at("groups").is_array() && platform.node().at("groups").empty()) {
    ctx.errors.add(common::DataError(ctx.file, platform.pointer_to("groups"),
                                     "found an empty array, allowed: at least one device group"));
  }
  for (const auto& g : object_list(platform, "groups", ctx.errors)) {
    spec.groups.push_back(read_group(g, ctx));
    if (!spec.groups.back().name.empty())
      check_unique(g, spec.groups.back().name, names, "group and cloud", ctx.errors);
  }
  const LinkSpec wan_defaults{1e9, 0.02, {}};
  const auto wan = optional_object(platform, "wan", ctx.errors);
  spec.wan = wan ? read_link(*wan, wan_defaults, ctx) : wan_defaults;
  if (wan && wan->has("sharing"))
    ctx.errors.check([&] { spec.wan_sharing = wan->one_of("sharing", {"auto", "shared", "fatpipe"}); });
  for (const auto& c : object_list(platform, "clouds", ctx.errors)) {
    spec.clouds.push_back(read_cloud(c, ctx));
    if (!spec.clouds.back().name.empty())
      check_unique(c, spec.clouds.back().name, names, "group and cloud", ctx.errors);
  }
}

}  // namespace detail

double ChannelSplitSpec::compute_scale(double c) const {
  if (c <= 0) return 0;
  return fixed_fraction + (1 - fixed_fraction) * std::pow(std::min(c, 1.0), exponent);
}

double ChannelSplitSpec::coded_bytes(double elements, double share) const {
  return std::ceil(elements * share * codec_bits / 8.0 * entropy_ratio);
}

}  // namespace edgetwin::sim
