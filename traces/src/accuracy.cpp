#include "edgetwin/traces/accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/json_reader.hpp"

namespace edgetwin::traces {

double LossCurve::factor(double d) const {
  return 1.0 - max_relative_loss * std::pow(1.0 - std::clamp(d, 0.0, 1.0), exponent);
}

double AccuracyTable::accuracy(const Model& m, int exit_after_unit, bool offloaded,
                               double offload_share) const {
  double a = final_accuracy;
  if (exit_after_unit >= 0 && exit_after_unit + 1 < static_cast<int>(m.units.size())) {
    if (const auto it = exits.find(exit_after_unit); it != exits.end()) {
      a = it->second;
    } else {
      double before = 0;
      for (int i = 0; i <= exit_after_unit; ++i)
        before += static_cast<double>(m.units[static_cast<std::size_t>(i)].macs);
      a = final_accuracy *
          exit_curve.factor(before / static_cast<double>(std::max<std::int64_t>(1, m.total_macs())));
    }
  }
  if (offloaded) a *= offload.factor(offload_share);
  return a;
}

double ChannelSplitAccuracy::offloaded_importance(double share, bool attention) const {
  const double x = std::clamp(share, 0.0, 1.0);
  return attention ? std::pow(x, attention_concentration) : x;
}

double ChannelSplitAccuracy::relative_loss(double share, int bits, bool attention) const {
  const double m = offloaded_importance(share, attention);
  const double loss = m * quantisation_loss_8bit * std::pow(2.0, 8 - bits) + 4 * split_loss * m * (1 - m);
  return std::clamp(loss, 0.0, 1.0);
}

double AccuracyTable::split_accuracy(const Model& m, int exit_after_unit, double share, int bits,
                                     bool attention) const {
  if (!channel_split.present) return std::numeric_limits<double>::quiet_NaN();
  const double base = accuracy(m, exit_after_unit, false, 1.0);
  for (const auto& p : channel_split.points) {
    if (std::abs(p.share - share) < 1e-9 && p.bits == bits && p.attention == attention)
      return base * p.accuracy / final_accuracy;
  }
  return base * (1 - channel_split.relative_loss(share, bits, attention));
}

namespace {

ChannelSplitAccuracy read_channel_split(const common::JsonReader& r) {
  r.require_only(
      {"attention_concentration", "quantisation_loss_8bit", "split_loss", "synthetic", "source", "points"});
  ChannelSplitAccuracy c;
  c.present = true;
  c.attention_concentration = r.number_in("attention_concentration", 1.0, 20.0);
  c.quantisation_loss_8bit = r.number_in("quantisation_loss_8bit", 0.0, 1.0);
  c.split_loss = r.number_in("split_loss", 0.0, 0.25);
  c.synthetic = r.boolean_or("synthetic", true);
  c.source = r.string("source");
  for (const common::JsonReader& p : r.objects_or_empty("points")) {
    p.require_only({"share", "bits", "ranking", "accuracy"});
    ChannelSplitAccuracy::Point point;
    point.share = p.number_in("share", 0.0, 1.0);
    point.bits = static_cast<int>(p.integer_in("bits", 1, 32));
    point.attention = p.one_of("ranking", {"attention", "random"}) == "attention";
    point.accuracy = p.number_in("accuracy", 0.0, 1.0);
    c.points.push_back(point);
  }
  return c;
}

LossCurve read_curve(const common::JsonReader& r) {
  r.require_only({"max_relative_loss", "exponent", "synthetic", "source"});
  LossCurve c;
  c.max_relative_loss = r.number_in("max_relative_loss", 0.0, 1.0);
  c.exponent = r.number_in("exponent", 0.01, 100.0);
  c.synthetic = r.boolean_or("synthetic", true);
  c.source = r.string("source");
  return c;
}

}  // namespace

AccuracyTable load_accuracy_file(const std::string& path, const Model& model) {
  const nlohmann::json doc = common::read_json_file(path);
  const common::JsonReader root(doc, path);
  root.require_only({"$comment", "model", "dataset_key", "dataset", "metric", "final_accuracy",
                     "final_source", "exit_curve", "exits", "offload", "channel_split", "calibration"});
  AccuracyTable t;
  t.file = path;
  t.model = root.string("model");
  if (t.model != model.id)
    root.fail("model", "found \"" + t.model + "\", allowed: \"" + model.id + "\" (the file's name)");
  t.dataset_key = root.string("dataset_key");
  const bool id_like =
      !t.dataset_key.empty() && std::all_of(t.dataset_key.begin(), t.dataset_key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
  if (!id_like) {
    root.fail("dataset_key", "found \"" + t.dataset_key +
                                 "\", allowed: a lowercase id (a-z, 0-9, '_'), e.g. imagenet1k_val");
  }
  t.dataset = root.string("dataset");
  t.metric = root.one_of("metric", {"top1", "map50_95"});
  t.final_accuracy = root.number_in("final_accuracy", 0.0, 1.0);
  t.final_source = root.string("final_source");
  t.exit_curve = read_curve(root.object("exit_curve"));
  t.offload = read_curve(root.object("offload"));
  if (root.has("channel_split")) t.channel_split = read_channel_split(root.object("channel_split"));
  {
    for (const common::JsonReader& e : root.objects_or_empty("exits")) {
      e.require_only({"after_unit", "accuracy"});
      const int after =
          static_cast<int>(e.integer_in("after_unit", 0, static_cast<long long>(model.units.size()) - 1));
      const bool known = std::any_of(model.exits.begin(), model.exits.end(),
                                     [after](const ExitPoint& x) { return x.after_unit == after; });
      if (!known)
        e.fail("after_unit",
               "found " + std::to_string(after) + ", allowed: an exit point of model " + model.id);
      t.exits[after] = e.number_in("accuracy", 0.0, 1.0);
    }
  }
  if (root.has("calibration")) {
    const common::JsonReader c = root.object("calibration");
    c.require_only({"source", "points"});
    t.calibration_source = c.string("source");
    for (const common::JsonReader& p : c.objects_or_empty("points")) {
      p.require_only({"compute_share", "relative_accuracy"});
      t.calibration.push_back(
          {p.number_in("compute_share", 0.0, 1.0), p.number_in("relative_accuracy", 0.0, 1.0)});
    }
    if (t.calibration.empty())
      c.fail("points", "found none, allowed: at least one {compute_share, relative_accuracy}");
  }
  return t;
}

}  // namespace edgetwin::traces
